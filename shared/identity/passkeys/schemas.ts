import * as z from 'zod';
import { PASSKEY_TRANSPORTS } from './passkey';

/** base64url of at most `max` characters: every binary field WebAuthn's JSON forms carry. */
const base64url = (max: number, description: string) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')
    .meta({ description });

const CredentialId = base64url(1366, "The credential's id (at most 1,023 bytes)");
// The client's own outputs: a few small members, never a payload.
const ClientExtensionResults = z
  .record(z.string().max(64), z.unknown())
  .refine((r) => Object.keys(r).length <= 16, 'at most 16 extensions')
  .meta({ description: "The client's extension outputs (`getClientExtensionResults()`)" });

/** What `navigator.credentials.create()` answered, as `PublicKeyCredential.toJSON()` gives it. */
export const RegistrationResponseSchema = z
  .strictObject({
    id: CredentialId,
    rawId: CredentialId,
    type: z.literal('public-key'),
    response: z.strictObject({
      clientDataJSON: base64url(4096, 'The client data the authenticator signed over'),
      attestationObject: base64url(32768, 'The attestation object (CBOR)'),
      authenticatorData: base64url(16384, 'The authenticator data').optional(),
      transports: z.array(z.enum(PASSKEY_TRANSPORTS)).max(8).optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url(4096, 'The public key (SPKI)').optional(),
    }),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: ClientExtensionResults,
  })
  .meta({ id: 'PasskeyRegistrationResponse' });

/** What `navigator.credentials.get()` answered, as `PublicKeyCredential.toJSON()` gives it. */
export const AuthenticationResponseSchema = z
  .strictObject({
    id: CredentialId,
    rawId: CredentialId,
    type: z.literal('public-key'),
    response: z.strictObject({
      clientDataJSON: base64url(4096, 'The client data the authenticator signed over'),
      authenticatorData: base64url(16384, 'The authenticator data'),
      signature: base64url(1024, "The authenticator's signature"),
      userHandle: base64url(128, 'The user handle the passkey was registered with').optional(),
    }),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: ClientExtensionResults,
  })
  .meta({ id: 'PasskeyAuthenticationResponse' });

export const PasskeyName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w .'()-]+$/, "letters, digits, spaces and . ' ( ) - only")
  .meta({ description: 'A name for the passkey, shown in the list', example: "Ada's laptop" });

export const RegisterPasskeyRequest = z
  .strictObject({ response: RegistrationResponseSchema, name: PasskeyName.optional() })
  .meta({ id: 'RegisterPasskeyRequest' });

export const StartPasskeySignInRequest = z
  .strictObject({
    email: z.email().max(320).optional().meta({
      description:
        'Accepted for clients that ask it first; the options are the same for every address (discoverable passkeys), so they never tell whether one has passkeys',
    }),
  })
  .meta({ id: 'StartPasskeySignInRequest' });

export const CompletePasskeySignInRequest = z
  .strictObject({ response: AuthenticationResponseSchema })
  .meta({ id: 'CompletePasskeySignInRequest' });

/** A passkey as its user sees it: never its public key or credential id. */
export const PasskeyViewSchema = z
  .object({
    id: z.string().meta({ description: "The passkey's id (`pkey_…`)" }),
    name: z.string(),
    transports: z.array(z.enum(PASSKEY_TRANSPORTS)),
    backedUp: z
      .boolean()
      .meta({ description: "Synced across the user's devices, as the authenticator says" }),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Passkey' });
export type PasskeyView = z.infer<typeof PasskeyViewSchema>;

export const PasskeyList = z.object({ items: z.array(PasskeyViewSchema) }).meta({ id: 'PasskeyList' });

export const PasskeyRegistered = PasskeyViewSchema.extend({
  signedOut: z.boolean().meta({
    description:
      "The passkey is the user's first second factor: every session was revoked (sign in again, with it)",
  }),
}).meta({ id: 'PasskeyRegistered' });

/** WebAuthn's options JSON, documented by its members (the authenticator's API takes them as they are). */
export const CreationOptionsSchema = z
  .looseObject({
    challenge: z.string(),
    rp: z.object({ id: z.string().optional(), name: z.string() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    pubKeyCredParams: z.array(z.object({ type: z.literal('public-key'), alg: z.number() })),
    timeout: z.number().optional(),
    excludeCredentials: z.array(z.looseObject({ id: z.string(), type: z.literal('public-key') })).optional(),
    authenticatorSelection: z.looseObject({}).optional(),
    attestation: z.string().optional(),
  })
  .meta({ id: 'PublicKeyCredentialCreationOptions' });

export const RequestOptionsSchema = z
  .looseObject({
    challenge: z.string(),
    rpId: z.string().optional(),
    timeout: z.number().optional(),
    allowCredentials: z.array(z.looseObject({ id: z.string() })).optional(),
    userVerification: z.string().optional(),
  })
  .meta({ id: 'PublicKeyCredentialRequestOptions' });
