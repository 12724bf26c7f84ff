/**
 * Who an app user is in Zendesk. `users/create_or_update` matches an existing user by email or by `external_id`
 * (external ids without regard to case), and then renames it, gives it the `external_id` sent, and posts as it. The
 * email in a Parley profile is whatever the client app sent, so by default Parley never sends it to be matched:
 * the end user is found by an `external_id` of Parley's own, derived from app and user, with an address on a
 * reserved domain (`.invalid`, RFC 2606: Zendesk can never mail it, and no one else can own it), and the email the
 * app gave is written in the user's notes, which agents see beside the ticket. `trustUserEmail: true` is for apps
 * whose emails are verified: the profile's email is sent as before, and Zendesk matches by it.
 */
import { createHash } from 'node:crypto';
import { displayName, type UserProfile } from '../../common/conversation';

/** The end user's Parley-owned identity: the same for the same app and user, different otherwise. */
export function zendeskEndUserIdentity(appId: string, userId: string): { externalId: string; email: string } {
  // A hash, not the user id: Zendesk matches external ids without regard to case, and user ids are case-sensitive
  // ("Jane" and "jane" are two users); hex keeps it lower case, and no user id (or PII in one) shows in Zendesk.
  const hash = createHash('sha256').update(`${appId}\u0000${userId}`).digest('hex').slice(0, 32);
  // A domain label: app ids may hold `_` (not allowed in host names) and end in `-` (nor that).
  const label = appId.replace(/_/g, '-').replace(/-+$/, '') || 'app';
  return { externalId: `parley:${appId}:${hash}`, email: `user-${hash}@${label}.parley.invalid` };
}

/** The user's notes in Zendesk, shown to agents beside the ticket: who the user is in the app, and the email given. */
export function zendeskEndUserNotes(appId: string, userId: string, profile: UserProfile): string {
  const lines = [`Parley user "${userId}" of the app ${appId}.`];
  lines.push(
    profile.email
      ? `Email given by the app (not verified, not used by Zendesk): ${profile.email}`
      : 'The app gave no email.',
  );
  return lines.join('\n');
}

/** The body of `users/create_or_update` for an app user. */
export function zendeskEndUser(
  batch: { appId: string; userId: string; profile: UserProfile },
  options: { trustUserEmail: boolean },
): Record<string, unknown> {
  const name = displayName(batch.profile) ?? batch.userId;
  if (options.trustUserEmail)
    // As Parley always did: Zendesk matches an existing user by this email, so the app must have verified it.
    return {
      name,
      external_id: `parley:${batch.appId}:${batch.userId}`,
      role: 'end-user',
      ...(batch.profile.email ? { email: batch.profile.email } : {}),
    };
  const { externalId, email } = zendeskEndUserIdentity(batch.appId, batch.userId);
  return {
    name,
    external_id: externalId,
    email,
    role: 'end-user',
    notes: zendeskEndUserNotes(batch.appId, batch.userId, batch.profile),
    // The address cannot receive mail: nothing to verify.
    skip_verify_email: true,
  };
}
