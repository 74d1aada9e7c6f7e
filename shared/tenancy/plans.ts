/** What each plan allows an organisation. Counts are enforced atomically; rates per window. */
export const PLANS = {
  free: {
    users: 5,
    teams: 2,
    apiKeys: 5,
    connections: 3,
    mappings: 5,
    notificationRules: 10,
    webhookEndpoints: 3,
    pendingApprovals: 20,
    apiRequestsPerMinute: 120,
    webhookEventsPerDay: 1_000,
    emailsPerDay: 200,
    realtimeConnections: 20,
  },
  team: {
    users: 500,
    teams: 100,
    apiKeys: 50,
    connections: 25,
    mappings: 100,
    notificationRules: 200,
    webhookEndpoints: 50,
    pendingApprovals: 1_000,
    apiRequestsPerMinute: 1_200,
    webhookEventsPerDay: 100_000,
    emailsPerDay: 5_000,
    realtimeConnections: 500,
  },
  enterprise: {
    users: 50_000,
    teams: 5_000,
    apiKeys: 1_000,
    connections: 500,
    mappings: 2_000,
    notificationRules: 2_000,
    webhookEndpoints: 1_000,
    pendingApprovals: 20_000,
    apiRequestsPerMinute: 12_000,
    webhookEventsPerDay: 5_000_000,
    emailsPerDay: 50_000,
    realtimeConnections: 5_000,
  },
} as const;

export type PlanName = keyof typeof PLANS;
export const PLAN_NAMES = Object.keys(PLANS) as [PlanName, ...PlanName[]];

/** A counted resource: how many an org may hold at once. */
export type CountedResource =
  | 'users'
  | 'teams'
  | 'apiKeys'
  | 'connections'
  | 'mappings'
  | 'notificationRules'
  | 'webhookEndpoints'
  /** Approvals waiting for an answer: one is given back when it is decided, expires or is cancelled. */
  | 'pendingApprovals';

/** A rate: how many per window. */
export type Rate = {
  readonly name: 'api' | 'webhooks' | 'chat';
  readonly limit: number;
  readonly windowSeconds: number;
};

export const apiRate = (plan: PlanName): Rate => ({
  name: 'api',
  limit: PLANS[plan].apiRequestsPerMinute,
  windowSeconds: 60,
});
export const webhookRate = (plan: PlanName): Rate => ({
  name: 'webhooks',
  limit: PLANS[plan].webhookEventsPerDay,
  windowSeconds: 86_400,
});

/** What one chat user may send the bot (commands and buttons, refused ones included) a minute. */
export const CHAT_USER_RATE: Rate = { name: 'chat', limit: 20, windowSeconds: 60 };

/** The window a moment falls in, and the seconds until the next one starts. */
export function windowOf(rate: Rate, at: Date): { start: number; retryAfterSeconds: number } {
  const seconds = Math.floor(at.getTime() / 1000);
  const start = seconds - (seconds % rate.windowSeconds);
  return { start, retryAfterSeconds: start + rate.windowSeconds - seconds };
}
