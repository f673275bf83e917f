// Types of the two undici modules src/connector/http.ts imports by path (undici types its index only).
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}
declare module 'undici/lib/web/fetch/index.js' {
  export { fetch } from 'undici';
}
