import * as z from 'zod';

/** A user's access token of the pool (Cognito's JWTs are a few KB at most). */
const AccessToken = z
  .string()
  .min(20)
  .max(8192)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a JWT')
  .meta({
    description:
      "The access token of the caller's current sign-in (the pool's own calls take it; `hub login` prints it). It must stand for the same user as the request's ID token.",
  });

export const StartTotpRequest = z.strictObject({ accessToken: AccessToken }).meta({ id: 'StartTotpRequest' });

export const VerifyTotpRequest = z
  .strictObject({
    accessToken: AccessToken,
    code: z
      .string()
      .regex(/^\d{6}$/, 'must be the six digits the authenticator app shows')
      .meta({ description: 'The code the app shows now', example: '123456' }),
    deviceName: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w .'-]+$/, "letters, digits, spaces and . ' - only")
      .optional()
      .meta({ description: 'A name for the app, as the user pool lists it', example: "Ada's phone" }),
  })
  .meta({ id: 'VerifyTotpRequest' });

export const MfaStatusSchema = z
  .object({
    totp: z.object({
      enabled: z
        .boolean()
        .meta({ description: 'An authenticator app is the second factor of password sign-ins' }),
      enabledAt: z.iso.datetime().nullable(),
    }),
    required: z.boolean().meta({ description: 'The organisation refuses sessions without a second factor' }),
  })
  .meta({ id: 'MfaStatus' });

export const TotpEnrolment = z
  .object({
    secretCode: z
      .string()
      .meta({ description: 'The secret to type into the app, shown this once (never stored by the hub)' }),
    otpauthUri: z
      .string()
      .meta({ description: 'The same secret as an `otpauth://totp/…` URI, for a QR code' }),
  })
  .meta({ id: 'TotpEnrolment' });

export const TotpEnabled = MfaStatusSchema.extend({
  signedOut: z.literal(true).meta({
    description: 'Every session of the user was revoked: sign in again, with a code of the app',
  }),
}).meta({ id: 'TotpEnabled' });
