import type * as z from 'zod';
import type { BindCodeStore } from '../chat/bind-codes';
import type { InstallStateStore } from '../chat/install-state';
import type {
  AppReply,
  AppRequest,
  ChatClient,
  ChatInbound,
  ConversationDirectory,
  InstallationDirectory,
} from '../chat/model';
import type { CanonicalEvent } from '../events/canonical-event';
import type { Clock } from '../ports/clock';
import type { SecretCipher } from '../ports/secret-cipher';
import type { AuditStore, ConnectionStore, LockStore, OrgStore } from '../ports/stores';
import type { ResourceAccess } from '../topology/types';
import type { Connection } from './connection';
import type { WebhookDelivery } from './connector';
import type { ProviderProbe } from './outbound';
import type { AccessTokens, WorkItemConnector } from './work-items';

/**
 * One kind of credentials a provider takes. `schema` is a strict zod object whose `kind` is the
 * literal below; its secret fields carry `.meta({ writeOnly: true })` (see `secret()`), which is
 * what encryption, redaction in responses and audit summaries, the OpenAPI document (`writeOnly`)
 * and the CLI (secrets from a file or an environment variable, never an argument) go by.
 */
export interface CredentialKind<S extends z.ZodObject = z.ZodObject> {
  readonly kind: string;
  readonly description: string;
  readonly schema: S;
  /**
   * Where else than the connection's server these credentials are sent (an OAuth token endpoint):
   * the URL fields, held to the same egress rules as the base URL when the credentials are set.
   */
  readonly urlFields?: readonly string[];
  /**
   * Hosts a URL field may name, by field: each entry a host or, with a leading `*.`, any host under
   * it. Any other host is refused (400) when the credentials are set and when they are used; a
   * loopback address passes only where the egress guard allows loopback (the local runtime's fakes).
   */
  readonly urlHosts?: Readonly<Record<string, readonly string[]>>;
  /** Written only by the provider's install (an OAuth callback): refused when given through the API or the CLI. */
  readonly installedOnly?: boolean;
}

/** What a provider answers itself to a challenge of its webhook endpoint (Asana, Monday, Slack). */
export interface WebhookReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A provider's webhook part: the endpoint, de-duplication, quotas and publishing are shared. */
export interface WebhookPart {
  /** Throws UnauthenticatedError unless the delivery carries a valid proof made with `secret`. */
  verify(secret: string, delivery: WebhookDelivery): Promise<void>;
  /** The provider's id of the delivery, the same on every retry of it; ValidationError when missing. */
  deliveryId(delivery: WebhookDelivery): string;
  /**
   * The canonical event a verified delivery becomes (build it with `canonicalEvent`), or null for
   * an event type the hub does not use (acknowledged, and not retried by the provider).
   * ValidationError for a malformed payload.
   */
  normalise(delivery: WebhookDelivery, deliveryId: string): CanonicalEvent | null;
  /**
   * For providers that challenge the endpoint before (or instead of) a delivery: the answer to a
   * challenge, or null when the delivery is an ordinary one. Called with the connection's secret
   * before `verify`; a handshake the provider signs must check its own proof.
   */
  handshake?(secret: string, delivery: WebhookDelivery): Promise<WebhookReply | null>;
  /**
   * Signs a delivery as the provider would, for the CLI and the tests that stand in for it: the
   * headers to send with `body`. `event` is the provider's event name where it sends one.
   */
  sign?(
    secret: string,
    body: string,
    delivery: { readonly id: string; readonly at: Date; readonly event?: string | undefined },
  ): Promise<Readonly<Record<string, string>>>;
  /** What the OpenAPI document says about the endpoint for this provider. */
  readonly docs: {
    readonly summary: string;
    readonly setup: string;
    readonly headers: readonly string[];
    /** The body it posts, when the hub knows its shape (else any JSON object). */
    readonly payload?: z.ZodType;
  };
}

/** What a provider's token source may use: refreshing happens once per connection, under a lock. */
export interface TokenSourceDeps {
  readonly connections: Pick<ConnectionStore, 'withCredentials' | 'replaceEncryptedCredentials'>;
  readonly cipher: SecretCipher;
  readonly locks: LockStore;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly clock: Clock;
  /**
   * The deployment's app credentials of a provider (its secret, parsed with its `chat.appSettings`):
   * chat apps refresh their installations' tokens with the app's client secret.
   */
  readonly appSecret?: (provider: string) => Promise<Readonly<Record<string, string>>>;
}

/** What a chat provider's client and app endpoint may use (all calls out through the egress guard). */
export interface ChatDeps {
  /** The egress guard's fetch: every call to the platform goes through it. */
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly cipher: SecretCipher;
  readonly connections: ConnectionStore;
  readonly installations: InstallationDirectory;
  readonly audit: Pick<AuditStore, 'append'>;
  /** Tokens of the org's connections, refreshed once per connection under the lock. */
  readonly accessTokens?: AccessTokens;
  /**
   * The deployment's app settings for this provider (`ChatPart.appSettings`: client id/secret,
   * signing secret), decrypted; NotFoundError while a platform admin has not set them.
   */
  appSecret(): Promise<Readonly<Record<string, string>>>;
  /** Where the hub is reachable (`HUB_PUBLIC_URL`): redirect URIs, links. */
  readonly publicUrl: string;
  /** What a provider learnt of the conversations it was added to, per org (needed by providers that post proactively). */
  readonly conversations?: ConversationDirectory;
  /** The single-use states of installs under way (an app installed with OAuth needs them). */
  readonly installStates?: InstallStateStore;
  /** The orgs (an install creates a connection, counted against the org's plan). */
  readonly orgs?: Pick<OrgStore, 'get'>;
  /** One-time bind codes (a platform bound by code, not OAuth, claims them). */
  readonly bindCodes?: Pick<BindCodeStore, 'claim'>;
}

/**
 * The part a chat platform plays (Slack, Teams): a notification channel (`client`) and an app
 * endpoint serving `/{provider}/{inbound}` for every workspace at once (`app`).
 */
export interface ChatPart {
  /**
   * Which of the app endpoint's routes it serves (`GET /{provider}/install`,
   * `GET /{provider}/oauth/callback`, `POST /{provider}/events`); the others answer 404 unread.
   */
  readonly inbound: readonly ChatInbound[];
  /**
   * The deployment's app settings for this platform (client id and secret, signing secret, app id):
   * a strict zod object whose secret fields are marked with `secret()`. Platform admins set them
   * with `PUT /v1/platform/chat-apps/{provider}`; they are stored encrypted, and `ChatDeps.appSecret()`
   * returns them decrypted.
   */
  readonly appSettings?: z.ZodObject;
  /**
   * Settings matching the loopback fakes, seeded by the local runtime at bootstrap when none are set
   * (`npm start` works without a platform account). Never used in AWS.
   */
  readonly localDefaults?: Readonly<Record<string, string>>;
  client(deps: ChatDeps): ChatClient;
  /** Verifies each request before reading it, answers handshakes, and returns the work to queue. */
  app(deps: ChatDeps): { handle(request: AppRequest): Promise<AppReply> };
  /**
   * For a platform installed with OAuth: the URL (on the hub, `/{provider}/install?state=…`) that
   * starts an install for the org by the hub user, with a signed, single-use state minted for it.
   */
  installUrl?(deps: ChatDeps, by: { readonly orgId: string; readonly userId: string }): Promise<string>;
  /** The name of the workspace or tenant a connection is installed in, as the platform gave it (not a secret). */
  installationName?(connection: Connection): string | undefined;
  /**
   * For a platform bound by a one-time code an org admin makes (Teams: `connect <code>` sent to the
   * bot): the installation a connection names (its tenant id), or null when the connection is not
   * one such a code can bind.
   */
  bindCodeTarget?(connection: Connection): string | null;
  /** What else binding by code takes, for the person given the code (Teams: a tenant admin's confirmation). */
  readonly bindConfirmation?: string;
  /**
   * What the person who asked for a direct message that could not be opened is told to do about it
   * (the app must reach the recipient's personal scope); a generic sentence when absent.
   */
  readonly undeliverableDmFix?: string;
  /** What the API document says of this platform on the chat routes, each a sentence or two. */
  readonly docs?: ChatDocs;
}

/** A chat platform's part of the chat routes' documentation (`shared/chat/operations.ts`). */
export interface ChatDocs {
  /** Where `GET /{provider}/install` sends the person. */
  readonly install?: string;
  /** What `GET /{provider}/oauth/callback` completes, and what it requires. */
  readonly callback?: string;
  /** How a code made with `POST …/connections/{connectionId}/bind-codes` binds this platform (a platform with `bindCodeTarget`). */
  readonly bindCode?: string;
  /** Which of its connections a bind code binds. */
  readonly bindCodeConnection?: string;
}

/** Marks a credential field as secret: encrypted, never returned, never audited, never a CLI argument. */
export const secret = <T extends z.ZodType>(schema: T): T => schema.meta({ writeOnly: true }) as T;

/**
 * Everything the hub knows about one provider, exported by its folder
 * (`shared/connectors/<id>/module.ts`). The composition (`shared/providers.ts`) lists the modules;
 * the provider enum, credential unions, webhook route, OpenAPI document, CLI, wiring and access
 * lists are derived from that list, so the generic layers never name a provider.
 */
export interface ProviderModule<
  Id extends string = string,
  Kinds extends readonly CredentialKind[] = readonly CredentialKind[],
> {
  /** Lower-case, stable: the path segment of its webhook route and the `provider` of its connections. */
  readonly id: Id;
  /** For people: `commented in <displayName>`. */
  readonly displayName: string;
  readonly api: {
    /** Where its API is unless a connection says otherwise; null when every connection must say. */
    readonly defaultBaseUrl: string | null;
    /** Whether a connection may point at another server (Enterprise Server, self-managed, a site). */
    readonly customBaseUrl: boolean;
    /** What a base URL for it looks like, for error messages and the documentation. */
    readonly baseUrlHint: string;
  };
  readonly credentials: Kinds;
  readonly webhook: WebhookPart;
  /** The dry call of `POST …/connections/{id}/test`; absent for providers with nothing to call. */
  probe?(deps: { readonly accessTokens?: AccessTokens | undefined }): ProviderProbe;
  /** Where its OAuth connections get access tokens (built once per execution environment). */
  tokens?(deps: TokenSourceDeps): AccessTokens;
  /** The part it plays in a sync (tracker or code host), if any. */
  readonly sync?: WorkItemConnector;
  /** The part it plays in chat (notifications and the bot), if any. */
  readonly chat?: ChatPart;
  /** AWS access its adapters need beyond calling the provider (a token refresh stores the new token). */
  readonly access: readonly ResourceAccess[];
}
