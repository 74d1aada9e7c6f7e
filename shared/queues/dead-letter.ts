import * as z from 'zod';

/** A message a worker took off its queue because retrying could not help, kept in its org for a redrive. */
export const DeadLetterSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    queue: z.string().describe('The queue it came from, and goes back to on redrive'),
    reason: z.string().describe('Why it was parked'),
    attempts: z.number().int().describe('How many times it was received'),
    eventId: z.string().nullable(),
    eventType: z.string().nullable(),
    parkedAt: z.iso.datetime(),
  })
  .meta({ id: 'DeadLetter' });

export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/** A dead letter with the message itself, as stored. */
export type StoredDeadLetter = DeadLetter & { readonly body: string };
