export function extractReply(input: { text?: string; html?: string }): string {
  const text = (input.text ?? '').replace(/\r\n/g, '\n');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '-- ' || /^On .* wrote:$/.test(line) || line.startsWith('>')) break;
    out.push(line);
  }
  return out.join('\n').trim();
}
