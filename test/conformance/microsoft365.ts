import type { RecordedRequest } from '../../src/emulator/journal.js';

// Scaffolding: replaced by the checker against the vendor's description.
export function checkMicrosoft365Request(_request: RecordedRequest): string[] {
  return [];
}
