import type { RecordedRequest } from '../../src/emulator/journal.js';

// Scaffolding: replaced by the checker against the vendor's description.
export function checkGoogleWorkspaceRequest(_request: RecordedRequest): string[] {
  return [];
}
