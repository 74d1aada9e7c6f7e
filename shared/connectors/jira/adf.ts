import { markdownToAdf } from 'marklassian';

type Node = {
  type?: string;
  text?: string;
  content?: Node[];
  attrs?: Record<string, unknown>;
  marks?: Node[];
};

/** Markdown (GitHub's bodies) as Atlassian Document Format, the only form Jira Cloud's v3 API takes. */
export function toAdf(markdown: string): Record<string, unknown> {
  return markdownToAdf(markdown) as unknown as Record<string, unknown>;
}

function inline(node: Node): string {
  if (node.type === 'text') {
    let text = node.text ?? '';
    for (const mark of node.marks ?? []) {
      if (mark.type === 'strong') text = `**${text}**`;
      else if (mark.type === 'em') text = `*${text}*`;
      else if (mark.type === 'code') text = `\`${text}\``;
      else if (mark.type === 'strike') text = `~~${text}~~`;
      else if (mark.type === 'link') text = `[${text}](${String(mark.attrs?.href ?? '')})`;
    }
    return text;
  }
  if (node.type === 'hardBreak') return '\n';
  if (node.type === 'mention') return String(node.attrs?.text ?? '@someone');
  if (node.type === 'emoji') return String(node.attrs?.text ?? node.attrs?.shortName ?? '');
  if (node.type === 'inlineCard') return String(node.attrs?.url ?? '');
  return (node.content ?? []).map(inline).join('');
}

function block(node: Node, indent = ''): string {
  const children = node.content ?? [];
  switch (node.type) {
    case 'paragraph':
      return indent + children.map(inline).join('');
    case 'heading':
      return `${'#'.repeat(Number(node.attrs?.level ?? 1))} ${children.map(inline).join('')}`;
    case 'bulletList':
    case 'orderedList':
      return children
        .map((item, n) => {
          const marker = node.type === 'bulletList' ? '- ' : `${n + 1}. `;
          const [first, ...rest] = (item.content ?? []).map((c) => block(c, `${indent}  `).trimStart());
          return [`${indent}${marker}${first ?? ''}`, ...rest.map((r) => `${indent}  ${r}`)].join('\n');
        })
        .join('\n');
    case 'codeBlock':
      return `\`\`\`${String(node.attrs?.language ?? '')}\n${children.map(inline).join('')}\n\`\`\``;
    case 'blockquote':
      return children
        .map((c) => block(c))
        .join('\n\n')
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n');
    case 'rule':
      return '---';
    default:
      return children.length > 0 ? children.map((c) => block(c, indent)).join('\n\n') : inline(node);
  }
}

/**
 * Atlassian Document Format as Markdown, for GitHub. Covers the nodes Jira's editor writes for
 * text (paragraphs, headings, lists, code, quotes, marks, mentions); anything else keeps its text.
 * A plain string (Jira Server, old payloads) is returned as it is.
 */
export function fromAdf(document: unknown): string {
  if (document === null || document === undefined) return '';
  if (typeof document === 'string') return document;
  const doc = document as Node;
  return (doc.content ?? [])
    .map((c) => block(c))
    .join('\n\n')
    .trim();
}
