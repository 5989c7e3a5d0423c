// Renders a server-component tree to HTML without a DOM and without react-dom: function
// components are called with their props, host elements become tags. That is exact for
// components without hooks (server components have none) and throws on anything else, so a test
// cannot pass by rendering less than the component returns. A project that has react-dom uses
// its renderToStaticMarkup instead.
import { Fragment, isValidElement, type ReactElement, type ReactNode } from 'react';

const VOID = new Set(['area', 'br', 'col', 'hr', 'img', 'input', 'link', 'meta', 'source']);
const ATTR: Record<string, string> = { className: 'class', htmlFor: 'for' };
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function staticMarkup(node: ReactNode): string {
  if (node === null || node === undefined || typeof node === 'boolean') return '';
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'bigint') return escape(String(node));
  if (Array.isArray(node)) return node.map((n: ReactNode) => staticMarkup(n)).join('');
  if (!isValidElement(node)) throw new Error(`staticMarkup cannot render ${Object.prototype.toString.call(node)}`);
  const { type, props } = node as ReactElement<Record<string, unknown>>;
  const children = props.children as ReactNode;
  if (type === Fragment) return staticMarkup(children);
  if (typeof type === 'function') {
    if ((type as { prototype?: { isReactComponent?: unknown } }).prototype?.isReactComponent) throw new Error('staticMarkup renders function components only');
    return staticMarkup((type as (p: Record<string, unknown>) => ReactNode)(props));
  }
  if (typeof type !== 'string') throw new Error(`staticMarkup cannot render element type ${String(type)}`);
  const attrs = Object.entries(props)
    .filter(([k, v]) => k !== 'children' && v !== undefined && v !== null && v !== false && typeof v !== 'function')
    .map(([k, v]) => (v === true ? ` ${ATTR[k] ?? k}` : ` ${ATTR[k] ?? k}="${escape(String(v))}"`))
    .join('');
  return VOID.has(type) ? `<${type}${attrs}/>` : `<${type}${attrs}>${staticMarkup(children)}</${type}>`;
}
