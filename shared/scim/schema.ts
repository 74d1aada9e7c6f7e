import * as z from 'zod';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The attributes the service stores, by resource; sub-attributes of complex ones. Names match case-insensitively. */
export const USER_ATTRIBUTES: Readonly<Record<string, readonly string[] | null>> = {
  userName: null,
  externalId: null,
  name: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'],
  displayName: null,
  nickName: null,
  profileUrl: null,
  title: null,
  userType: null,
  preferredLanguage: null,
  locale: null,
  timezone: null,
  active: null,
  emails: ['value', 'type', 'primary', 'display'],
  phoneNumbers: ['value', 'type', 'primary', 'display'],
  addresses: ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary'],
};

export const ENTERPRISE_ATTRIBUTES: Readonly<Record<string, readonly string[] | null>> = {
  employeeNumber: null,
  costCenter: null,
  organization: null,
  division: null,
  department: null,
  manager: ['value', 'displayName', '$ref'],
};

export const GROUP_ATTRIBUTES: Readonly<Record<string, readonly string[] | null>> = {
  displayName: null,
  externalId: null,
  members: ['value', 'display', '$ref', 'type'],
};

/** Booleans IdPs may send as strings (Entra sends "True"/"False"). */
export const BOOLEAN_ATTRIBUTES = new Set(['active', 'primary']);

const text = z.string().max(1024);
const multiValued = <T extends z.ZodRawShape>(shape: T) =>
  z.array(z.object(shape).strip()).max(20).optional();

/** Strings "True"/"False" (any case) as booleans: Entra's form. */
const looseBoolean = z.preprocess(
  (v) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v),
  z.boolean(),
);

/** A User as the hub stores it (unknown attributes are dropped; `password` is never kept). */
export const ScimUserInput = z
  .object({
    userName: z.string().trim().min(1).max(256),
    externalId: z.string().min(1).max(256).optional(),
    name: z
      .object({
        formatted: text.optional(),
        familyName: text.optional(),
        givenName: text.optional(),
        middleName: text.optional(),
        honorificPrefix: text.optional(),
        honorificSuffix: text.optional(),
      })
      .strip()
      .optional(),
    displayName: text.optional(),
    nickName: text.optional(),
    profileUrl: text.optional(),
    title: text.optional(),
    userType: text.optional(),
    preferredLanguage: text.optional(),
    locale: text.optional(),
    timezone: text.optional(),
    active: looseBoolean.optional(),
    emails: multiValued({
      value: z.string().max(320),
      type: text.optional(),
      primary: looseBoolean.optional(),
      display: text.optional(),
    }),
    phoneNumbers: multiValued({
      value: text,
      type: text.optional(),
      primary: looseBoolean.optional(),
      display: text.optional(),
    }),
    addresses: multiValued({
      formatted: text.optional(),
      streetAddress: text.optional(),
      locality: text.optional(),
      region: text.optional(),
      postalCode: text.optional(),
      country: text.optional(),
      type: text.optional(),
      primary: looseBoolean.optional(),
    }),
    [ENTERPRISE_USER_SCHEMA]: z
      .object({
        employeeNumber: text.optional(),
        costCenter: text.optional(),
        organization: text.optional(),
        division: text.optional(),
        department: text.optional(),
        manager: z
          .object({ value: text.optional(), displayName: text.optional(), $ref: text.optional() })
          .strip()
          .optional(),
      })
      .strip()
      .optional(),
  })
  .strip();

export type ScimUserInput = z.infer<typeof ScimUserInput>;

/** A Group as sent: its members are hub users by id. */
export const ScimGroupInput = z
  .object({
    displayName: z.string().trim().min(1).max(200),
    externalId: z.string().min(1).max(256).optional(),
    members: z
      .array(z.object({ value: z.string().min(1).max(64), display: text.optional() }).strip())
      .max(1000)
      .optional(),
  })
  .strip();

export type ScimGroupInput = z.infer<typeof ScimGroupInput>;
