import type {
  RemoteTicketState,
  TicketCloseReason,
  TicketContent,
  TicketDocument,
  TicketRef,
  TicketSink,
} from '../../src/tickets/sink.js';
import { TicketSinkError } from '../../src/tickets/sink.js';

export interface MemoryTicket {
  id: string;
  key: string;
  state: 'open' | 'closed';
  content: TicketContent;
  comments: { kind: 'comment' | 'close' | 'reopen'; doc: TicketDocument; reason?: TicketCloseReason }[];
}

/**
 * A ticketing system in memory that obeys the sink contract, with what people and outages do to real
 * ones: a person closes or deletes a ticket by hand; the sink is down (fails every call) or fails after
 * a number of calls. Every call is counted.
 */
export class MemoryTicketSink implements TicketSink {
  readonly kind = 'memory';
  readonly tickets = new Map<string, MemoryTicket>();
  calls = 0;
  get requests(): number {
    return this.calls;
  }
  /** Calls that succeed before the sink goes down (Infinity = up). */
  failAfter = Number.POSITIVE_INFINITY;
  private nextId = 1;

  constructor(
    readonly name = 'memory',
    readonly canReadState = true,
  ) {}

  private call(operation: TicketSinkError['operation']): void {
    this.calls += 1;
    if (this.failAfter <= 0) throw new TicketSinkError(this.name, operation, 'service unavailable', 503);
    this.failAfter -= 1;
  }

  private get(ref: TicketRef, operation: TicketSinkError['operation']): MemoryTicket {
    const t = this.tickets.get(ref.id);
    if (!t) throw new TicketSinkError(this.name, operation, `ticket ${ref.id} does not exist`, 404);
    return t;
  }

  async open(content: TicketContent): Promise<TicketRef> {
    this.call('open');
    const id = `T-${this.nextId++}`;
    this.tickets.set(id, { id, key: content.key, state: 'open', content, comments: [] });
    return { id, url: `https://tickets.example/${id}` };
  }

  async comment(ref: TicketRef, doc: TicketDocument): Promise<void> {
    this.call('comment');
    this.get(ref, 'comment').comments.push({ kind: 'comment', doc });
  }

  async close(ref: TicketRef, doc: TicketDocument, reason?: TicketCloseReason): Promise<void> {
    this.call('close');
    const t = this.get(ref, 'close');
    if (t.state !== 'open') throw new TicketSinkError(this.name, 'close', 'already closed', 400);
    t.state = 'closed';
    t.comments.push({ kind: 'close', doc, ...(reason ? { reason } : {}) });
  }

  async reopen(ref: TicketRef, doc: TicketDocument): Promise<void> {
    this.call('reopen');
    const t = this.get(ref, 'reopen');
    if (t.state !== 'closed') throw new TicketSinkError(this.name, 'reopen', 'not closed', 400);
    t.state = 'open';
    t.comments.push({ kind: 'reopen', doc });
  }

  async state(ref: TicketRef): Promise<RemoteTicketState> {
    this.call('state');
    return this.tickets.get(ref.id)?.state ?? 'missing';
  }

  /** What a person does on the sink. */
  closeByHand(key: string): void {
    for (const t of this.tickets.values()) if (t.key === key && t.state === 'open') t.state = 'closed';
  }
  reopenByHand(key: string): void {
    for (const t of this.tickets.values()) if (t.key === key) t.state = 'open';
  }
  deleteByHand(key: string): void {
    for (const [id, t] of this.tickets) if (t.key === key) this.tickets.delete(id);
  }

  openTickets(key?: string): MemoryTicket[] {
    return [...this.tickets.values()].filter(
      (t) => t.state === 'open' && (key === undefined || t.key === key),
    );
  }
  all(key: string): MemoryTicket[] {
    return [...this.tickets.values()].filter((t) => t.key === key);
  }
}

/** The same sink with the optional bulk state read, one call per page of `pageSize` tickets (like a JQL search). */
export class BulkMemoryTicketSink extends MemoryTicketSink {
  constructor(
    name = 'memory',
    readonly pageSize = 50,
  ) {
    super(name, true);
  }

  async states(refs: readonly TicketRef[]): Promise<Map<string, RemoteTicketState>> {
    const out = new Map<string, RemoteTicketState>();
    for (let i = 0; i < refs.length; i += this.pageSize) {
      this.calls += 1;
      if (this.failAfter <= 0) throw new TicketSinkError(this.name, 'search', 'service unavailable', 503);
      this.failAfter -= 1;
      for (const r of refs.slice(i, i + this.pageSize)) {
        const t = this.tickets.get(r.id);
        if (t) out.set(r.id, t.state);
      }
    }
    return out;
  }
}
