import type { AuditFilter } from '../audit/audit-filter';
import type { AuditRecord } from '../audit/audit-record';
import type { OrgAccess } from '../authz/org-access';
import type { Connection, WebhookRoute } from '../connectors/connection';
import type { CanonicalEvent } from '../events/canonical-event';
import type { ApiKey, ApiKeyGrant, PlatformApiKey } from '../identity/api-key';
import type { ScimToken, ScimTokenGrant } from '../identity/scim-token';
import type { Session, SessionState } from '../identity/session';
import type { StoredDeadLetter } from '../queues/dead-letter';
import type { ScimUserProfile } from '../scim/user-resource';
import type { InvitationMail, StoredInvitation } from '../tenancy/invitation';
import type { Org } from '../tenancy/org';
import type { CountedResource, Rate } from '../tenancy/plans';
import type { Team, TeamMembership } from '../tenancy/team';
import type { User } from '../tenancy/user';

/** Billable units, metered per org and hour. */
export type MeteredUnit = 'apiRequests' | 'webhookEvents';

export interface HourlyUsage {
  readonly hour: string;
  readonly apiRequests: number;
  readonly webhookEvents: number;
}

/** A change that holds one more of a counted resource, up to the plan's limit. */
export interface QuotaClaim {
  readonly resource: CountedResource;
  readonly limit: number;
}

/** A page of a list: `nextCursor` is opaque and null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** A value with the version it was read at, for optimistic concurrency. */
export interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

export interface OrgStore {
  /** Creates the org and claims its slug, with the audit record, atomically; ConflictError if the slug is taken. */
  create(org: Org, audit: AuditRecord): Promise<void>;
  get(orgId: string): Promise<Org | null>;
  getVersioned(orgId: string): Promise<Versioned<Org> | null>;
  /**
   * Replaces the org if it is still at `expectedVersion`, with the audit record; ConflictError otherwise.
   * A deleted org is put on the purge schedule at its `purgeAfter`; `previous` says what to take off it.
   */
  save(org: Org, expectedVersion: number, audit: AuditRecord, previous?: Org): Promise<void>;
  /** Orgs whose purge is due at `now`, oldest first, with what earlier runs of an unfinished purge removed. */
  duePurges(
    now: Date,
    limit: number,
  ): Promise<{ orgId: string; purgeAfter: string; removed?: Record<string, number> }[]>;
  /** Notes that an org's purge has begun (it can no longer be restored) and what it removed so far; false when it is off the schedule (restored). */
  recordPurgeProgress(orgId: string, purgeAfter: string, removed: Record<string, number>): Promise<boolean>;
  /** Takes an org off the purge schedule once it is purged, with the record of what was removed, atomically. */
  clearPurge(orgId: string, purgeAfter: string, audit?: AuditRecord): Promise<void>;
  /** Every org, newest first (platform admins only). */
  list(page: PageRequest): Promise<Page<Org>>;
}

export interface ApiKeyStore {
  /** Stores the key's metadata and its hash lookup, counts it against the quota, with the audit record, atomically. */
  create(key: ApiKey, keyHash: string, audit: AuditRecord, quota: QuotaClaim): Promise<void>;
  /** Creates the platform-admin key used to bootstrap an installation. */
  createPlatformKey(keyId: string, name: string, keyHash: string): Promise<void>;
  /** Stores a platform-admin key and its hash lookup, with its record in the platform trail, atomically. */
  issuePlatformKey(key: PlatformApiKey, keyHash: string, audit: AuditRecord): Promise<void>;
  listPlatformKeys(page: PageRequest): Promise<Page<PlatformApiKey>>;
  /** Marks a platform key revoked and removes its credential lookup, audited; NotFoundError if not active. */
  revokePlatformKey(keyId: string, revokedAt: string, audit: AuditRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyGrant | null>;
  list(orgId: string, page: PageRequest): Promise<Page<ApiKey>>;
  get(orgId: string, keyId: string): Promise<ApiKey | null>;
  /** Issues `next` in place of an active key, which keeps working until `oldExpiresAt`; with the audit record. */
  rotate(
    orgId: string,
    oldKeyId: string,
    next: ApiKey,
    nextHash: string,
    oldExpiresAt: string,
    audit: AuditRecord,
  ): Promise<void>;
  /** Notes when and from where a key was last used. */
  recordUse(orgId: string, keyId: string, at: string, ip: string): Promise<void>;
  /** Marks the key revoked and removes its credential lookup, with the audit record; NotFoundError if not active. */
  revoke(orgId: string, keyId: string, revokedAt: string, audit: AuditRecord): Promise<void>;
}

/** An org's SCIM tokens, and their credential lookups by hash. */
export interface ScimTokenStore {
  /** Stores a token's metadata and its lookup, with its audit record; refuses beyond `limit` active tokens. */
  create(token: ScimToken, tokenHash: string, audit: AuditRecord, limit: number): Promise<void>;
  findByHash(tokenHash: string): Promise<ScimTokenGrant | null>;
  list(orgId: string, page: PageRequest): Promise<Page<ScimToken>>;
  /** Marks the token revoked and deletes its lookup (it stops working at once); NotFoundError unless active. */
  revoke(orgId: string, tokenId: string, revokedAt: string, audit: AuditRecord): Promise<void>;
}

/** What the SCIM service keeps of provisioned users beside their hub users: profiles, and userNames claimed. */
export interface ScimUserStore {
  /**
   * A new hub user and their SCIM profile, in one transaction with the userName's claim, the
   * email's claim, the plan's count and the audit record; ConflictError names which claim was taken.
   */
  create(user: User, profile: ScimUserProfile, audit: AuditRecord, quota: QuotaClaim): Promise<void>;
  /** A SCIM profile for a hub user that has none (an existing member the IdP now manages). */
  adopt(user: User, profile: ScimUserProfile, audit: AuditRecord): Promise<void>;
  get(orgId: string, userId: string): Promise<ScimUserProfile | null>;
  /** The hub user a userName (case-insensitively) belongs to. */
  userIdByUserName(orgId: string, userName: string): Promise<string | null>;
  /** Every profile of the org (bounded by the plan's users), oldest first. */
  all(orgId: string): Promise<ScimUserProfile[]>;
  /**
   * Replaces a profile if it is still `previous` (else ConflictError: the caller re-reads), moving
   * its userName claim when it changed; given `user`, sets the hub user's status, name and email if
   * the user is still `previous`, moving the email's claim when it changed. A userName or email
   * another user holds is a UniquenessError, and nothing is written.
   */
  replace(
    next: ScimUserProfile,
    previous: ScimUserProfile,
    user: { readonly user: User; readonly previous: User } | null,
    audit: AuditRecord,
  ): Promise<void>;
  /** Forgets a profile and its claim; the hub user stays, deactivated when `deactivate` is given. */
  remove(profile: ScimUserProfile, deactivate: User | null, audit: AuditRecord): Promise<void>;
}

/** What the SCIM service keeps of groups beside their hub teams: the IdP's `externalId` of each. */
export interface ScimGroupStore {
  externalIdOf(orgId: string, teamId: string): Promise<string | null>;
  /** Every externalId of the org, by team id (bounded by the plan's teams). */
  externalIds(orgId: string): Promise<Map<string, string>>;
  /** Sets (or, given null, forgets) a group's externalId, with the audit record. */
  setExternalId(
    orgId: string,
    teamId: string,
    externalId: string | null,
    at: string,
    audit: AuditRecord,
  ): Promise<void>;
}

export interface ConnectionStore {
  /** Stores the connection and its webhook route, counts it against the quota, with the audit record, atomically. */
  create(
    connection: Connection,
    encryptedSecret: string,
    audit: AuditRecord,
    quota: QuotaClaim,
  ): Promise<void>;
  findWebhookRoute(connectionId: string): Promise<WebhookRoute | null>;
  get(orgId: string, connectionId: string): Promise<Connection | null>;
  list(orgId: string, page: PageRequest): Promise<Page<Connection>>;
  /**
   * Replaces the connection and its webhook route if the connection is still as read (`previous`),
   * with the audit record; ConflictError otherwise.
   */
  save(
    next: Connection,
    previous: Connection,
    route: WebhookRoute,
    audit: AuditRecord,
    /** `clearCredentials`: the encrypted credentials go too (the connection now points at another server). */
    options?: { clearCredentials?: boolean },
  ): Promise<void>;
  /** Sets the connection's credentials: the summary on the connection, the secret parts encrypted. */
  setCredentials(next: Connection, encryptedCredentials: string, audit: AuditRecord): Promise<void>;
  /** The encrypted credentials, if set. */
  encryptedCredentials(orgId: string, connectionId: string): Promise<string | null>;
  /**
   * The connection and its encrypted credentials (null if none) from one strongly consistent read
   * of its item: never a new base URL with credentials that belonged to the old one.
   */
  withCredentials(
    orgId: string,
    connectionId: string,
  ): Promise<{ connection: Connection; encryptedCredentials: string | null } | null>;
  /**
   * Records on the connection's webhook route how the hub appears there, learnt with
   * `encryptedCredentials`: only while those are still the connection's (false otherwise, nothing written).
   */
  recordHubActor(
    orgId: string,
    connectionId: string,
    actor: string,
    encryptedCredentials: string,
  ): Promise<boolean>;
  /**
   * Replaces the encrypted credentials alone (a refreshed OAuth token), leaving the summary as it is;
   * with `expected`, only if the stored ones are still those (ConflictError otherwise).
   */
  replaceEncryptedCredentials(
    orgId: string,
    connectionId: string,
    encrypted: string,
    expected?: string,
  ): Promise<void>;
  /** Removes the connection and its webhook route and releases its quota, with the audit record. */
  remove(connection: Connection, audit: AuditRecord): Promise<void>;
}

export interface EventStore {
  /** Stores the event once; storing the same event id again changes nothing. */
  put(event: CanonicalEvent): Promise<'stored' | 'duplicate'>;
  list(orgId: string, page: PageRequest): Promise<Page<CanonicalEvent>>;
  /** One of the org's events, or undefined. */
  get(orgId: string, eventId: string): Promise<CanonicalEvent | undefined>;
}

export interface AuditStore {
  /** Appends a record that goes with no other change (a denied attempt, a read of the trail). */
  append(record: AuditRecord): Promise<void>;
  /** The org's trail, newest first, filtered; served by a query on the org's partition. */
  list(orgId: string, filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>>;
  /** Successful actions by the given actors per UTC day (`YYYY-MM-DD`) and per actor, in [from, to). */
  activity(
    orgId: string,
    actorIds: readonly string[],
    from: Date,
    to: Date,
  ): Promise<{ byDay: Record<string, number>; byActor: Record<string, number> }>;
}

/** Usage against the plan: held resources, and rates per window. */
export interface UsageStore {
  /** Counts one use in the current window; false (with the wait) once the window's limit is reached. */
  consumeRate(orgId: string, rate: Rate, at: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  /** Current counts: held resources, and uses in the current window of each rate. */
  current(orgId: string, rates: readonly Rate[], at: Date): Promise<Record<string, number>>;
  /** Counts billable units in the hour `at` falls in (no limit: metering, not enforcement). */
  meter(orgId: string, unit: MeteredUnit, at: Date): Promise<void>;
  /** Sums an hour's billable units from the counters. */
  hourTotals(orgId: string, hourStart: Date): Promise<Record<MeteredUnit, number>>;
  /** Keeps an hour's totals; writing the same hour again replaces them (the job is idempotent). */
  saveHour(orgId: string, hourStart: Date, totals: Record<MeteredUnit, number>): Promise<void>;
  listHours(orgId: string, page: PageRequest): Promise<Page<HourlyUsage>>;
}

/** Removes every item of a deleted org but its audit trail, which its retention period keeps. */
export interface OrgPurger {
  /**
   * Removes the org's items page by page until done or `shouldStop` says so; a later call
   * continues where this one stopped. Returns the counts it removed, by kind.
   */
  purge(
    orgId: string,
    shouldStop?: () => boolean,
  ): Promise<{ removed: Record<string, number>; done: boolean }>;
}

export interface UserStore {
  /** Adds the user, claims the email within the org, counts it against the quota, with the audit record. */
  create(user: User, audit: AuditRecord, quota: QuotaClaim): Promise<void>;
  get(orgId: string, userId: string): Promise<User | null>;
  /** The org's user with this (lower-case) email, if any. */
  findByEmail(orgId: string, email: string): Promise<User | null>;
  list(orgId: string, page: PageRequest): Promise<Page<User>>;
  /** Sets the status if the user is still as read (`expected`), with the audit record. */
  setStatus(user: User, expected: User['status'], audit: AuditRecord): Promise<void>;
  /** Sets the role if it is still as read (`expected`), with the audit record (SSO group mappings). */
  setRole(user: User, expected: User['role'], audit: AuditRecord): Promise<void>;
  /** Records (a time) or forgets (`null`) the user's enrolled authenticator app, with the audit record. */
  setTotp(user: User, enabledAt: string | null, audit: AuditRecord): Promise<void>;
}

/** What a request of a session tells the store: who, how they signed in, from where, when. */
export interface SessionUse {
  readonly orgId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly signInMethod: string;
  /** The sign-in (`auth_time`, epoch seconds). */
  readonly authTime: number;
  readonly ip: string;
  readonly userAgent: string | null;
  readonly at: Date;
}

export interface SessionStore {
  /** The session's record and its user's "revoked before" marker, as the gate checks them. */
  state(orgId: string, userId: string, sessionId: string): Promise<SessionState>;
  /**
   * Records a request of the session (creating the record on its first), only when its last one
   * was recorded before `dueBefore` and it is not revoked: a conditional write, so many execution
   * environments write a session's last use at most once an interval between them.
   */
  recordUse(use: SessionUse, dueBefore: Date): Promise<void>;
  /** The user's recorded sessions, newest sign-in first (at most `limit`), revoked ones included, and their marker. */
  list(
    orgId: string,
    userId: string,
    limit: number,
  ): Promise<{ sessions: Session[]; revokedBefore: string | null }>;
  /** Marks one session revoked, with the audit record; NotFoundError when it is unknown or already revoked. */
  revoke(
    orgId: string,
    userId: string,
    sessionId: string,
    at: string,
    by: string,
    audit: AuditRecord,
  ): Promise<void>;
  /** Revokes every session of the user begun before `before` (a marker the gate checks), with the audit record. */
  revokeAll(orgId: string, userId: string, before: string, by: string, audit: AuditRecord): Promise<void>;
}

export interface TeamStore {
  /** Every team of the org, and the hierarchy's version (each structural change bumps it). */
  tree(orgId: string): Promise<{ teams: Team[]; version: number }>;
  /**
   * Adds the team, counts it against the quota, with the audit record, if the hierarchy is still at
   * `treeVersion`; ConflictError otherwise (read it again).
   */
  create(team: Team, audit: AuditRecord, quota: QuotaClaim, treeVersion: number): Promise<void>;
  /** Replaces the given teams (a rename, or a moved subtree) if the hierarchy is still at `treeVersion`. */
  update(orgId: string, teams: readonly Team[], treeVersion: number, audit: AuditRecord): Promise<void>;
  /** Deletes a team that has no child teams and releases its quota, then its memberships. */
  delete(team: Team, treeVersion: number, audit: AuditRecord): Promise<void>;
  get(orgId: string, teamId: string): Promise<Team | null>;
  /** Every team of the org (bounded by the plan's team limit). */
  all(orgId: string): Promise<Team[]>;
  /** Adds or changes a membership, with the audit record. */
  putMember(orgId: string, membership: TeamMembership, audit: AuditRecord): Promise<void>;
  /** Removes a membership, with the audit record; NotFoundError if there is none. */
  removeMember(orgId: string, teamId: string, userId: string, audit: AuditRecord): Promise<void>;
  membershipsOf(orgId: string, userId: string): Promise<TeamMembership[]>;
  membersOf(orgId: string, teamId: string): Promise<TeamMembership[]>;
}

export interface InvitationStore {
  /** Stores the invitation, its token lookup and its email in the outbox, with the audit record. */
  create(invitation: StoredInvitation, mail: InvitationMail, audit: AuditRecord): Promise<void>;
  get(orgId: string, invitationId: string): Promise<StoredInvitation | null>;
  list(orgId: string, page: PageRequest): Promise<Page<StoredInvitation>>;
  findByTokenHash(tokenHash: string): Promise<{ orgId: string; invitationId: string } | null>;
  /**
   * Replaces a pending invitation's token (the old one stops working) and queues its email, if it
   * is still as read (`previous`); ConflictError otherwise.
   */
  reissue(
    next: StoredInvitation,
    previous: StoredInvitation,
    mail: InvitationMail,
    audit: AuditRecord,
  ): Promise<void>;
  /** Revokes a pending invitation and removes its token lookup; ConflictError if it is not pending. */
  revoke(invitation: StoredInvitation, previous: StoredInvitation, audit: AuditRecord): Promise<void>;
  /**
   * Spends the token: marks the invitation accepted and adds the user (email claimed, counted
   * against the quota), atomically; ConflictError when the token was spent meanwhile.
   */
  accept(accepted: StoredInvitation, user: User, audit: AuditRecord, quota: QuotaClaim): Promise<void>;
  getMail(orgId: string, mailId: string): Promise<InvitationMail | null>;
  /** Marks the email sent and forgets its token; false if it was already marked. */
  markMailSent(mail: InvitationMail, sentAt: string): Promise<boolean>;
}

/** An org's custom roles and access policies, in one item with a version for optimistic concurrency. */
export interface AccessStore {
  /** The org's access rules (empty at version 0 when it has none yet). */
  get(orgId: string): Promise<Versioned<OrgAccess>>;
  /** Replaces them if still at `expectedVersion`, with the audit record; ConflictError otherwise. */
  save(orgId: string, access: OrgAccess, expectedVersion: number, audit: AuditRecord): Promise<void>;
}

/** Parked messages, per org. */
export interface DeadLetterStore {
  park(letter: StoredDeadLetter): Promise<void>;
  list(orgId: string, page: PageRequest): Promise<Page<StoredDeadLetter>>;
  get(orgId: string, id: string): Promise<StoredDeadLetter | null>;
  /** Removes a letter once it is back on its queue; false if it was already gone. */
  remove(orgId: string, id: string): Promise<boolean>;
}

/** Short leases on a name within an org (one worker at a time refreshes a connection's OAuth token). */
export interface LockStore {
  /** Takes the lock for `ttlMs` unless someone else holds it; true when taken. */
  acquire(orgId: string, name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lock back if `owner` still holds it. */
  release(orgId: string, name: string, owner: string): Promise<void>;
}
