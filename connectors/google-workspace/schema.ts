import { z } from 'zod';

/**
 * The parts of Google API responses the connector uses, parsed at the boundary. Google leaves out empty
 * lists and false booleans, so most fields are optional; unknown fields are kept (raw objects are stored).
 * A body that does not fit (malformed JSON arrives as a string) becomes an ApiError.
 */
const Timestamp = z.iso.datetime({ offset: true });

export const DirectoryUser = z.looseObject({
  id: z.string().min(1),
  primaryEmail: z.string().min(3),
  name: z.looseObject({ fullName: z.string().optional() }).optional(),
  isAdmin: z.boolean().optional(),
  suspended: z.boolean().optional(),
  suspensionReason: z.string().optional(),
  archived: z.boolean().optional(),
  creationTime: Timestamp.optional(),
  /** 1970-01-01T00:00:00.000Z when the user never signed in. */
  lastLoginTime: Timestamp.optional(),
  orgUnitPath: z.string().optional(),
});
export type DirectoryUser = z.infer<typeof DirectoryUser>;

/** users.get with `fields=id`: whether the user still exists. */
export const UserId = z.looseObject({ id: z.string() });

export const UsersPage = z.looseObject({
  users: z.array(DirectoryUser).optional(),
  nextPageToken: z.string().optional(),
});

export const Token = z.looseObject({
  clientId: z.string().min(1),
  displayText: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  anonymous: z.boolean().optional(),
  nativeApp: z.boolean().optional(),
  /** Numeric id of the user who granted it. */
  userKey: z.string().optional(),
});
export type Token = z.infer<typeof Token>;

export const TokenList = z.looseObject({ items: z.array(Token).optional() });

/** Event parameters are polymorphic: read them by name, whatever the value field. */
const NestedParameter = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  multiValue: z.array(z.string()).optional(),
});
export const EventParameter = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  intValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  multiValue: z.array(z.string()).optional(),
  messageValue: z.looseObject({ parameter: z.array(NestedParameter).optional() }).optional(),
  multiMessageValue: z.array(z.looseObject({ parameter: z.array(NestedParameter).optional() })).optional(),
});
export type EventParameter = z.infer<typeof EventParameter>;

export const Activity = z.looseObject({
  id: z.looseObject({ time: Timestamp, uniqueQualifier: z.string().optional() }),
  actor: z.looseObject({ email: z.string().optional(), profileId: z.string().optional() }).optional(),
  events: z
    .array(
      z.looseObject({
        name: z.string(),
        type: z.string().optional(),
        parameters: z.array(EventParameter).optional(),
      }),
    )
    .optional(),
});
export type Activity = z.infer<typeof Activity>;

export const ActivitiesPage = z.looseObject({
  items: z.array(Activity).optional(),
  nextPageToken: z.string().optional(),
});

export const Project = z.looseObject({
  /** `projects/{number}` */
  name: z.string().regex(/^projects\/[^/]+$/),
  projectId: z.string().min(1),
  displayName: z.string().optional(),
  parent: z.string().optional(),
  state: z.string().optional(),
  createTime: Timestamp.optional(),
});
export type Project = z.infer<typeof Project>;

export const ProjectsPage = z.looseObject({
  projects: z.array(Project).optional(),
  nextPageToken: z.string().optional(),
});

export const IamPolicy = z.looseObject({
  bindings: z.array(z.looseObject({ role: z.string(), members: z.array(z.string()).optional() })).optional(),
});

export const ServiceAccount = z.looseObject({
  name: z.string().min(1).optional(),
  projectId: z.string().min(1),
  email: z.string().min(3),
  uniqueId: z.string().min(1),
  oauth2ClientId: z.string().optional(),
  displayName: z.string().optional(),
  description: z.string().optional(),
  disabled: z.boolean().optional(),
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;

export const ServiceAccountsPage = z.looseObject({
  accounts: z.array(ServiceAccount).optional(),
  nextPageToken: z.string().optional(),
});

export const ServiceAccountKey = z.looseObject({
  name: z.string().regex(/\/keys\/[^/]+$/),
  validAfterTime: Timestamp.optional(),
  /** 9999-12-31T23:59:59Z when the key never expires. */
  validBeforeTime: Timestamp.optional(),
  keyAlgorithm: z.string().optional(),
  keyOrigin: z.string().optional(),
  keyType: z.string().optional(),
  disabled: z.boolean().optional(),
  disableReason: z.string().optional(),
  extendedStatus: z
    .array(z.looseObject({ key: z.string().optional(), value: z.string().optional() }))
    .optional(),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKey>;

export const KeysList = z.looseObject({ keys: z.array(ServiceAccountKey).optional() });

/** A parameter's values as strings, whichever field Google used (value, multiValue, intValue, …). */
export function parameterValues(params: readonly EventParameter[] | undefined, name: string): string[] {
  const p = params?.find((x) => x.name === name);
  if (!p) return [];
  if (p.multiValue) return p.multiValue;
  if (p.value !== undefined) return [p.value];
  if (p.intValue !== undefined) return [p.intValue];
  if (p.boolValue !== undefined) return [String(p.boolValue)];
  if (p.messageValue?.parameter)
    return p.messageValue.parameter.flatMap((x) => x.multiValue ?? (x.value ? [x.value] : []));
  return [];
}
