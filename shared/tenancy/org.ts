import ipaddr from 'ipaddr.js';
import * as z from 'zod';
import { ROLES } from '../identity/permissions';
import { DEFAULT_STEP_UP_MINUTES } from '../identity/step-up';
import { PLAN_NAMES } from './plans';
import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from './retention';

const Cidr = z.string().refine(
  (value) => {
    try {
      ipaddr.parseCIDR(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'an IPv4 or IPv6 CIDR block, e.g. 203.0.113.0/24' },
);

const settingsFields = {
  allowedEmailDomains: z
    .array(z.string().regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a lower-case domain, e.g. acme.com'))
    .max(50)
    .describe('Invitations and sign-ups only for these email domains; empty allows any'),
  sessionLifetimeMinutes: z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .describe(
      'Refuse a user session signed in (auth_time) longer ago than this, however its tokens were refreshed',
    ),
  sessionIdleMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .nullable()
    .describe(
      "Refuse a user session whose last request is older than this (to within a minute: a session's use is recorded once a minute); null for no idle timeout",
    ),
  mfaRequired: z.boolean(),
  stepUpMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .describe(
      "How long a second factor counts as recent for policies: context.mfa is true only when the sign-in's amr shows one and auth_time is at most this many minutes ago",
    ),
  ipAllowList: z.array(Cidr).max(100).describe('When not empty, the API answers only these networks'),
  defaultRole: z.enum(ROLES),
  dataRetentionDays: z
    .number()
    .int()
    .min(MIN_RETENTION_DAYS)
    .max(MAX_RETENTION_DAYS)
    .describe(
      'Days events, dead letters and audit records are kept (audit at least 365); seven years by default. A change applies to items written after it',
    ),
};

/** An organisation's own settings; every field has a default, so an org always has all of them. */
export const OrgSettingsSchema = z
  .object({
    allowedEmailDomains: settingsFields.allowedEmailDomains.default([]),
    sessionLifetimeMinutes: settingsFields.sessionLifetimeMinutes.default(480),
    sessionIdleMinutes: settingsFields.sessionIdleMinutes.default(null),
    mfaRequired: settingsFields.mfaRequired.default(false),
    stepUpMinutes: settingsFields.stepUpMinutes.default(DEFAULT_STEP_UP_MINUTES),
    ipAllowList: settingsFields.ipAllowList.default([]),
    defaultRole: settingsFields.defaultRole.default('member'),
    dataRetentionDays: settingsFields.dataRetentionDays.default(DEFAULT_RETENTION_DAYS),
  })
  .strict()
  .meta({ id: 'OrgSettings' });

/** A change to some settings: only the fields it names change. */
export const OrgSettingsPatchSchema = z
  .object({
    allowedEmailDomains: settingsFields.allowedEmailDomains.optional(),
    sessionLifetimeMinutes: settingsFields.sessionLifetimeMinutes.optional(),
    sessionIdleMinutes: settingsFields.sessionIdleMinutes.optional(),
    mfaRequired: settingsFields.mfaRequired.optional(),
    stepUpMinutes: settingsFields.stepUpMinutes.optional(),
    ipAllowList: settingsFields.ipAllowList.optional(),
    defaultRole: settingsFields.defaultRole.optional(),
    dataRetentionDays: settingsFields.dataRetentionDays.optional(),
  })
  .strict()
  .meta({ id: 'OrgSettingsPatch' });

export type OrgSettings = z.infer<typeof OrgSettingsSchema>;

export const OrgSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    status: z.enum(['active', 'suspended', 'deleted']),
    deletedAt: z.iso.datetime().optional(),
    statusChangedAt: z.iso
      .datetime()
      .optional()
      .describe('When the org was last suspended, reactivated, deleted or restored'),
    purgeAfter: z.iso.datetime().optional().describe('When a deleted org is purged, unless restored first'),
    plan: z.enum(PLAN_NAMES).default('team').describe('Sets the quotas; changed by platform admins only'),
    settings: OrgSettingsSchema.default(OrgSettingsSchema.parse({})),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Org' });

export type Org = z.infer<typeof OrgSchema>;

/** True when `ip` is inside one of the CIDR blocks (an empty list allows every address). */
export function ipAllowed(ip: string, allowList: readonly string[]): boolean {
  if (allowList.length === 0) return true;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return false;
  }
  return allowList.some((cidr) => {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return address.kind() === range.kind() && address.match([range, bits] as never);
  });
}
