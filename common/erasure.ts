/**
 * What erasing a user (`DELETE /v1/apps/{appId}/users/{userId}`) reports: what Parley cleared of its own, what it
 * removed or anonymised in each vendor, and what lives on there and why. Imports nothing, so the vendors' erase
 * functions, the activities, the workflow and the API share it.
 */

/** One thing an erasure removed or anonymised, or left behind. */
export interface ErasureEntry {
  /** `slack`, `zendesk`, `helpscout`, `email`, `sink`. */
  system: string;
  /** What it is: `channel`, `dispatch_notice`, `ticket`, `end_user`, `conversation`, `customer`, `mails`, `batches`. */
  kind: string;
  /** The vendor's id of it, when it has one. */
  id?: string;
  /** For people: what was done, or why it stays and what someone can do about it. */
  detail: string;
}

/** What one vendor's clean-up did (`erased`) and could not or may not do (`remains`). */
export interface VendorErasure {
  erased: ErasureEntry[];
  remains: ErasureEntry[];
}

/** What the conversation held in Parley when it was erased (all of it cleared). */
export interface ParleyErasure {
  /** The user had a profile (name, email, properties, device). */
  profile: boolean;
  /** Messages in the window. */
  messages: number;
  /** Outbox items that were still waiting to go out and were dropped. */
  queued: number;
  /** Every user message the conversation accepted. */
  totalMessages: number;
}

export interface WebhookNotice {
  url: string;
  delivered: boolean;
  /** Why not, when not. */
  error?: string;
}

/** The erasure's result: the `eraseUser` update's answer, the workflow's result, the `user:erased` webhook's data. */
export interface ErasureReport {
  conversationId: string;
  /** The run that was erased: the API deletes its history (and that of the runs it continued from) once it closed. */
  runId: string;
  requestedAt: string;
  completedAt: string;
  parley: ParleyErasure;
  erased: ErasureEntry[];
  remains: ErasureEntry[];
  /** The client webhooks told `user:erased`. */
  webhooks: WebhookNotice[];
}

/** Everything but what the webhook itself is about to find out. */
export type UserErasedData = Omit<ErasureReport, 'conversationId' | 'runId' | 'webhooks'>;
