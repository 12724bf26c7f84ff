/** Cutting signatures from an agent's reply: the agent's own (as Zendesk appends it) and any `--` block. */
import { stripSignatures } from '../../../../integrations/zendesk/strip';

const own = 'Zoe Desk\nAcme Support';

describe('stripSignatures', () => {
  it.each([
    ['the own signature at the end', 'Thanks!\n\nZoe Desk\nAcme Support', own, 'Thanks!'],
    ['a -- block', 'Hello\n--\nThe team', null, 'Hello'],
    [
      'a -- block after the own signature',
      'Thanks!\n\nZoe Desk\nAcme Support\n\n--\nAcme · acme.example',
      own,
      'Thanks!',
    ],
    [
      'the own signature after a -- block',
      'Thanks!\n--\nAcme · acme.example\n\nZoe Desk\nAcme Support',
      own,
      'Thanks!',
    ],
    ['an own signature holding a -- line', 'Thanks!\n\nZoe\n--\nLegal text', 'Zoe\n--\nLegal text', 'Thanks!'],
    [
      'an own signature holding a -- line, then a footer',
      'Thanks!\n\nZoe\n--\nLegal text\n\n--\nSent from my phone',
      'Zoe\n--\nLegal text',
      'Thanks!',
    ],
    [
      'CRLF line ends',
      'Thanks!\r\n\r\nZoe Desk\r\nAcme Support\r\n--\r\nfooter',
      'Zoe Desk\r\nAcme Support',
      'Thanks!',
    ],
    ['-- inside a line', 'a -- b', null, 'a -- b'],
    ['a reply that starts with --', '--\nstill the reply', null, '--\nstill the reply'],
    ['a signature that is only the end of a line', 'Thanks, Zoe', 'Zoe', 'Thanks, Zoe'],
    [
      'the own signature in the middle',
      'Zoe Desk\nAcme Support\n\nmore text',
      own,
      'Zoe Desk\nAcme Support\n\nmore text',
    ],
    ['no signature known', 'Thanks!\n\nZoe Desk\nAcme Support', undefined, 'Thanks!\n\nZoe Desk\nAcme Support'],
  ])('cuts %s', (_what, body, signature, expected) => {
    expect(stripSignatures(body, signature)).toBe(expected);
  });

  it('cuts a reply that is only the signature to nothing, as before', () => {
    expect(stripSignatures(own, own)).toBe('');
  });
});
