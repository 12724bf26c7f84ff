/**
 * Agent signatures do not belong in a chat: the agent's own Zendesk signature (as Zendesk appends it), and any
 * signature block that starts with a `--` line, are cut from a reply before the user sees it, in whichever order
 * they come: the own signature at the end, or followed by a `--` block (a footer typed or appended below it).
 */
export function stripSignatures(body: string, agentSignature?: string | null): string {
  const own = agentSignature?.replace(/\r\n/g, '\n').trim();
  // What is left of the own signature once a `--` block is cut (all of it, unless it holds a `--` line itself).
  const ownHead = own ? cutDashBlock(own) : undefined;
  const text = body.replace(/\r\n/g, '\n').trimEnd();
  return dropEnd(cutDashBlock(dropEnd(text, own)), ownHead).trim();
}

/** Everything from the first line that is only `--` on, unless that is the first line (then it is the text). */
function cutDashBlock(text: string): string {
  const lines = text.split('\n');
  const cut = lines.findIndex((l) => /^--\s*$/.test(l.trim()));
  return cut > 0 ? lines.slice(0, cut).join('\n').trimEnd() : text;
}

/** `text` without `end` where it ends with it, on a line of its own (a signature "Zoe" leaves "thanks, Zoe" be). */
function dropEnd(text: string, end: string | undefined): string {
  if (!end || !(text === end || text.endsWith(`\n${end}`))) return text;
  return text.slice(0, text.length - end.length).trimEnd();
}
