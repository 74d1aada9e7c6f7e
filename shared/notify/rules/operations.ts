import type { OperationDoc } from '../../api/operation-doc';

/** PLACEHOLDER until this feature documents its operations (replaced by its owner). */
export const notificationRuleOperations = {
  listNotificationRules: { responses: { '200': { description: 'To be documented' } } },
  createNotificationRule: { responses: { '200': { description: 'To be documented' } } },
  getNotificationRule: { responses: { '200': { description: 'To be documented' } } },
  updateNotificationRule: { responses: { '200': { description: 'To be documented' } } },
  deleteNotificationRule: { responses: { '200': { description: 'To be documented' } } },
  testNotificationRule: { responses: { '200': { description: 'To be documented' } } },
} satisfies Record<string, OperationDoc>;
