import { loadVocabulary } from '../../src/connector/registry.js';

/** The built-in connectors' vocabulary, loaded the way read-only commands load it (no SDKs). */
export const BUILTIN_VOCABULARY = await loadVocabulary();
