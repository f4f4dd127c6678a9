/** Text made safe to put in HTML, in an element or in a quoted attribute (pure). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
