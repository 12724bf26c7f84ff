/** User ids are kept in Unicode NFC: `é` typed as U+00E9 or as `e` + U+0301 is one user with one workflow. */
import { userIdParam } from '../../../api/schemas';
import { conversationWorkflowId, normalizeUserId } from '../../../common/ids';

const composed = 'jos\u00e9';
const decomposed = 'jose\u0301';

describe('user ids', () => {
  it('are one workflow id whichever way an accent was typed', () => {
    expect(conversationWorkflowId('acme', decomposed)).toBe(conversationWorkflowId('acme', composed));
    expect(conversationWorkflowId('acme', decomposed)).toBe('conversation:acme:jos%C3%A9');
    expect(conversationWorkflowId('acme', 'Å\u212b')).toBe(conversationWorkflowId('acme', '\u00c5\u00c5'));
    expect(conversationWorkflowId('acme', 'jane')).toBe('conversation:acme:jane');
  });

  it('are normalised by the API as it reads them, before the length limit', () => {
    expect(userIdParam.parse(decomposed)).toBe(composed);
    expect(normalizeUserId(decomposed)).toBe(composed);
    // 256 decomposed characters are 128 composed ones: within the limit once normalised.
    expect(userIdParam.parse('e\u0301'.repeat(128))).toBe('\u00e9'.repeat(128));
    expect(userIdParam.safeParse('x'.repeat(257)).success).toBe(false);
    expect(userIdParam.safeParse('a\u0000b').success).toBe(false);
  });

  it('are not otherwise changed (NFC, not NFKC: compatibility forms stay distinct)', () => {
    expect(userIdParam.parse('ﬁ-user')).toBe('ﬁ-user');
    expect(userIdParam.parse('User-1')).toBe('User-1');
  });
});
