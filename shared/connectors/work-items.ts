import type { CanonicalEvent } from '../events/canonical-event';
import type { Connection, ConnectionCredentials, Provider } from './connection';

/**
 * The parts a provider can play in a sync: a tracker holds the work (Jira, Azure Boards, Asana…:
 * named statuses, keys that pull requests mention), a code host holds the code and its issues
 * (GitHub, GitLab, Azure Repos…: open/closed issues, branches, pull requests). The sync engine only
 * knows these two roles; a provider takes part by implementing one of the connectors below in its
 * own folder and adding a line to the registry.
 */
export const ROLES = ['tracker', 'codeHost'] as const;
export type Role = (typeof ROLES)[number];

/** The fields the sync engine keeps in step between the two sides of a mapping. */
export const SYNC_FIELDS = ['title', 'description', 'status', 'assignee', 'labels'] as const;
export type SyncField = (typeof SYNC_FIELDS)[number];

/** One item on a provider, as a link records it. */
export interface ItemRef {
  /** Unique and stable within the connection: what the hub finds the item's link by. */
  readonly id: string;
  /** What people call it (`PROJ-12`, `acme/web#12`); a tracker's keys are what pull requests name. */
  readonly key: string;
  /** Where a person sees it; empty when an event does not say (the client knows how to make one). */
  readonly url: string;
}

/**
 * An item's synced fields as its provider has them: descriptions as Markdown, people by the
 * provider's user id, a tracker's status by name and a code host's as `open` or `closed`.
 */
export interface NativeFields {
  title?: string;
  description?: string;
  status?: string;
  assignee?: string | null;
  labels?: string[];
}

/** What an event (or a scan) says about one item. */
export interface ItemChange {
  readonly ref: ItemRef;
  /** The project or repository the item is in, when the event says. */
  readonly container: string | null;
  readonly kind: 'created' | 'updated' | 'deleted';
  readonly fields: NativeFields;
  /** The fields the change touched (a scan names them all). */
  readonly changed: readonly SyncField[];
  /** When it happened at the source (the provider's time). */
  readonly at: string;
  /** Who made it, as `Identity.actor` names the hub; null for a scan, which has no actor. */
  readonly actor: string | null;
  /** Who created the item, as `Identity.creator` names the hub, when the provider says. */
  readonly createdBy: string | null;
  /** A scan's reading of the item, not a change: its values may be older than the link's. */
  readonly snapshot: boolean;
}

export interface CommentChange {
  /** The commented item's `ItemRef.id`. */
  readonly itemId: string;
  /** The project or repository the item is in, when the event says. */
  readonly container: string | null;
  readonly id: string;
  readonly author: string;
  /** Markdown. */
  readonly body: string;
  readonly actor: string | null;
}

/** A pull request's progress, which moves the tracker items it names along the mapping's statuses. */
export interface PullRequestActivity {
  readonly stage: 'opened' | 'approved' | 'merged' | 'closed';
  readonly container: string | null;
  readonly number: number;
  readonly url: string;
  readonly title: string;
  /** Where it may name tracker keys: its branch, title and body. */
  readonly text: string;
  /** The tracker keys its canonical data says it names (`PullRequest.mentions`). */
  readonly mentions?: readonly string[];
  /** Opened by an app (the hub's own branch automation among them). */
  readonly byBot: boolean;
  /** When the pull request reached this stage at the source (the provider's time): orders deliveries. */
  readonly at: string;
}

/** How the hub appears on a connection: the actor its changes carry, the creator of items it made. */
export interface Identity {
  readonly actor: string;
  readonly creator: string;
}

export interface ChangedPage {
  readonly items: ItemChange[];
  /** The next page's cursor, or null after the last page. */
  readonly next: string | null;
}

/**
 * One connection's outbound side, for the sync engine. Failures are the hub's provider errors, so
 * the one failure policy applies to them.
 */
export interface WorkItemClient {
  readonly connection: Connection;
  identity(): Promise<Identity>;
  /** An item's page for a person, when events do not carry one. */
  itemUrl(container: string, key: string): string;
  /** Creates an item (its status left to the provider's default) and says which status it got. */
  createItem(
    container: string,
    itemType: string | undefined,
    fields: NativeFields,
  ): Promise<{ ref: ItemRef; status: string | null }>;
  updateItem(container: string, ref: ItemRef, fields: NativeFields): Promise<void>;
  /**
   * Adds a comment (Markdown) and returns its id. A `marker` is stored with the comment where
   * people do not see it, so `findComment` can tell later whether the comment was posted.
   */
  addComment(
    container: string,
    ref: ItemRef,
    markdown: string,
    options?: { marker?: string },
  ): Promise<string>;
  /** The id of the item's comment posted with `marker` since a time, or null when there is none. */
  findComment(container: string, ref: ItemRef, marker: string, since: Date): Promise<string | null>;
  /** One page of the container's items changed since a time, oldest change first, as snapshots. */
  changedSince(container: string, since: Date, cursor: string | null): Promise<ChangedPage>;
  /** About how many items changed since a time, for progress estimates; null when unknown. */
  estimateChangedSince(container: string, since: Date): Promise<number | null>;
  /**
   * A person as the provider's user id (what `NativeFields.assignee` takes), found by their email
   * or by the provider's own user name; null when the provider knows no one, or more than one, so.
   * Providers that cannot look people up leave it out (the value is then passed as given).
   */
  findUser?(query: UserQuery): Promise<string | null>;
}

/** Who to look up on a provider: by email (the hub user's), or by the provider's user name. */
export type UserQuery = { readonly email: string } | { readonly name: string };

export interface TrackerClient extends WorkItemClient {
  /**
   * Links a pull request on the item; linking the same pull request again updates the link.
   * `codeHost` is the code host's display name.
   */
  linkPullRequest(
    key: string,
    pr: { url: string; title: string; state: 'open' | 'merged' | 'closed'; codeHost: string },
  ): Promise<void>;
  /** Moves the item to a status (through whatever workflow step leads there). */
  moveTo(key: string, status: string): Promise<void>;
}

export interface CodeHostClient extends WorkItemClient {
  /** Creates a branch at the tip of `base`; a branch of that name that exists already is kept. */
  createBranch(container: string, branch: string, base: string): Promise<void>;
  /** Opens a pull request that closes `closes` when merged. */
  openPullRequest(
    container: string,
    pr: { title: string; head: string; base: string; body: string; draft: boolean; closes: ItemRef },
  ): Promise<{ number: number; url: string; draft: boolean }>;
}

/** Where OAuth connections get their access tokens (refreshed once per connection, under a lock). */
export interface AccessTokens {
  /** A token for the connection, only while it still points at `baseUrl` (the server the caller will send it to). */
  token(orgId: string, connectionId: string, baseUrl: string): Promise<string>;
}

export interface OpenDeps {
  readonly accessTokens?: AccessTokens | undefined;
}

interface ConnectorBase {
  readonly provider: Provider;
  /** The provider's name for people (`commented in Jira`). */
  readonly displayName: string;
  /** Why `container` cannot be one of this provider's projects or repositories, or null. */
  checkContainer(container: string): string | null;
  /** The actor of an event, as `Identity.actor` names the hub. */
  actorOf(event: CanonicalEvent): string | null;
  /** False when the actor cannot be the hub (spares a lookup of the hub's identity). */
  couldBeHub(actor: string): boolean;
  readItem(event: CanonicalEvent): ItemChange | null;
  readComment(event: CanonicalEvent): CommentChange | null;
  /** Forgets what the connector caches for a connection (after its credentials were refused). */
  forget?(connectionId: string): void;
}

export interface TrackerConnector extends ConnectorBase {
  readonly role: 'tracker';
  /** The item type new items get when a mapping names none. */
  readonly defaultItemType: string | undefined;
  /** The keys of this container's items that a text names (`PROJ-12`). */
  referencesIn(text: string, container: string): string[];
  /**
   * A Markdown text in the form a round trip through the tracker gives, so that a value the hub
   * wrote compares equal when it comes back.
   */
  canonicalText(markdown: string): string;
  open(connection: Connection, credentials: ConnectionCredentials, deps: OpenDeps): TrackerClient;
}

export interface CodeHostConnector extends ConnectorBase {
  readonly role: 'codeHost';
  readPullRequest(event: CanonicalEvent): PullRequestActivity | null;
  open(connection: Connection, credentials: ConnectionCredentials, deps: OpenDeps): CodeHostClient;
}

export type WorkItemConnector = TrackerConnector | CodeHostConnector;
