import type { Context, MiddlewareOptions } from '@microsoft/microsoft-graph-client';

/**
 * A request's middleware option (the SDK hands it to every middleware): `onWay` is called when the
 * transport hands the request to the network, or when it is held back first (paced: throttle.ts), so
 * that a caller that sent it ahead (GraphApi.list) starts its own CPU work only once the request is
 * out: the SDK's chain is asynchronous, and a request merely started waits for the caller's work.
 */
export class OnItsWay implements MiddlewareOptions {
  constructor(readonly onWay: () => void) {}

  static of(context: Context): OnItsWay | undefined {
    return context.middlewareControl?.getMiddlewareOptions(OnItsWay) as OnItsWay | undefined;
  }
}
