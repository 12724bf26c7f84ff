/**
 * Agent signatures do not belong in a chat: the agent's own Zendesk signature (as Zendesk appends it), and any
 * signature block that starts with a `--` line, are cut from a reply before the user sees it.
 */
export function stripSignatures(body: string, agentSignature?: string | null): string {
  let text = body.replace(/\r\n/g, '\n').trimEnd();
  const own = agentSignature?.replace(/\r\n/g, '\n').trim();
  if (own && text.endsWith(own)) text = text.slice(0, text.length - own.length).trimEnd();
  const lines = text.split('\n');
  const cut = lines.findIndex((l) => /^--\s*$/.test(l.trim()));
  if (cut > 0) text = lines.slice(0, cut).join('\n').trimEnd();
  return text.trim();
}
