/**
 * @grantscope/emulator: a local HTTPS emulator of the GitHub, Microsoft Graph (with Entra login) and
 * Google Admin/IAM APIs, serving a world file. grantscope's `demo` and `emulator` commands load it on
 * demand; its tests and benchmarks start it in-process.
 */

export type { FaultRule, FaultRuleInput } from './faults.js';
export { generatedWorkspace } from './google-workspace/generated-world.js';
export { parseSection as parseGoogleWorkspaceSection } from './google-workspace/world-schema.js';
export {
  type EmulatedIssue,
  fakeJiraApiToken,
  JIRA_LIMITS,
  type JiraEmulatorOptions,
  type JiraEmulatorUser,
  type RunningJiraEmulator,
  startJiraEmulator,
} from './jira/server.js';
export { JOURNAL_ENV, type RecordedRequest } from './journal.js';
export {
  type EmulatorLimits,
  type LimitDemand,
  type LimitedPlatform,
  limitLowerBoundSeconds,
  limitsPreset,
  limitsSchema,
  REALISTIC_LIMITS,
  resolveLimits,
} from './limits.js';
export type { ClientSetup } from './platform.js';
export {
  createEmulatorKeys,
  type EmulatorOptions,
  type EmulatorStats,
  type RunningEmulator,
  startEmulator,
} from './server.js';
export {
  type PostedSlackMessage,
  type RunningSlackWebhook,
  type SlackWebhookEmulatorOptions,
  startSlackWebhookEmulator,
} from './slack/incoming-webhook.js';
export { loadWorld, resolveRelativeDates, type World } from './world.js';
export { WorldError, type WorldIssue } from './world-error.js';
