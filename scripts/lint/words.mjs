/**
 * Words, not sentences (issue #20): the lint rules that refuse string literals where a person reads
 * them in their own language. Workflows record catalogue keys and codes (`words('timeline.…', {...})`),
 * notices are worded by their per-locale templates, console pages say what they show through the
 * catalogue (`t(...)`, `say(...)`, `label(...)`). See docs/console.md, "Words, not sentences".
 *
 * A local ESLint plugin, used by eslint.config.mjs; its rules:
 * - `words/no-workflow-sentences`: in workflow code, a literal with letters as a `summary` or
 *   `description`, as the reason of `rejectStep`/`invalidStep`; a literal with a space or a non-ASCII
 *   letter as any argument of the timeline helpers `entry(...)`/`take(...)` (their keys and kinds are
 *   codes, never spaced);
 * - `words/no-notice-sentences`: a literal with a space or a non-ASCII letter among the values of a
 *   notice context (`notify(key, template, to, context)`, `escalate(key, manager, context)`,
 *   `sendNotice({ context })`): a context carries codes, names, numbers and dates; the template words them;
 * - `words/no-console-sentences`: a literal with a space or a non-ASCII letter among the values a
 *   console page renders (`send(req, res, status, page, context)`), and any letters as a value a
 *   page shows as text (`title`, `message`, `text`, `label`, …), as the title or text of
 *   `message(...)`, as a form problem (`formWithProblem`, `formWithFieldError`, `formFromError`,
 *   `formFromApiError`) or as the body of `res.send(...)`.
 * A literal is followed through `a ? 'x' : 'y'`, `a ?? 'x'`, `a || 'x'` and `'x' + y`, and a context
 * named by a `const` is followed to its object. `words('key', …)` is a call, never a literal: allowed.
 */

/** Letters of any script. */
const LETTER = /\p{L}/u;
/** A letter outside ASCII (Chinese, accented Latin, …). */
const NON_ASCII_LETTER = /(?=\p{L})\P{ASCII}/u;

/** Any letter at all: what a summary, a description or a refusal may not hold as a literal. */
export function hasLetters(text) {
  return LETTER.test(text);
}

/** Letters beside a space, or a letter outside ASCII: a sentence or a word, not a code like `awaiting_kickoff`. */
export function looksLikeWords(text) {
  if (!LETTER.test(text)) return false;
  return /\s/.test(text) || NON_ASCII_LETTER.test(text);
}

/** The static text of a string or template literal, else null. */
function literalText(node) {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral') return node.quasis.map((q) => q.value.cooked ?? q.value.raw).join('');
  return null;
}

/** The literals an expression may evaluate to: itself, or the branches of `?:`, `??`, `||`, `&&`, `+`, `as`, `satisfies`. */
function* literalsOf(node) {
  if (!node) return;
  switch (node.type) {
    case 'Literal':
    case 'TemplateLiteral':
      if (literalText(node) !== null) yield node;
      return;
    case 'ConditionalExpression':
      yield* literalsOf(node.consequent);
      yield* literalsOf(node.alternate);
      return;
    case 'LogicalExpression':
      yield* literalsOf(node.left);
      yield* literalsOf(node.right);
      return;
    case 'BinaryExpression':
      if (node.operator === '+') {
        yield* literalsOf(node.left);
        yield* literalsOf(node.right);
      }
      return;
    case 'TSAsExpression':
    case 'TSSatisfiesExpression':
    case 'TSNonNullExpression':
      yield* literalsOf(node.expression);
      return;
    default:
  }
}

/** The object literal an expression names: itself, or the initializer of the `const` it names (in this file). */
function objectOf(context, node, seen = new Set()) {
  if (!node) return null;
  if (node.type === 'ObjectExpression') return node;
  if (node.type === 'TSAsExpression' || node.type === 'TSSatisfiesExpression') return objectOf(context, node.expression, seen);
  if (node.type !== 'Identifier' || seen.has(node.name)) return null;
  seen.add(node.name);
  let scope = context.sourceCode.getScope(node);
  while (scope) {
    const variable = scope.set.get(node.name);
    if (variable) {
      const def = variable.defs[0];
      if (def?.type === 'Variable' && def.parent?.kind === 'const' && def.node.id.type === 'Identifier') return objectOf(context, def.node.init, seen);
      return null;
    }
    scope = scope.upper;
  }
  return null;
}

/**
 * Every literal among the values of an object literal (nested objects and arrays too, spreads of
 * named objects followed), each with the name of the property it is the value of.
 */
function* valuesOf(context, object, seen = new Set()) {
  if (!object || seen.has(object)) return;
  seen.add(object);
  for (const property of object.properties) {
    if (property.type === 'SpreadElement') {
      yield* valuesOf(context, objectOf(context, property.argument), seen);
    } else if (property.type === 'Property') {
      yield* expressionValues(context, property.value, seen, propertyName(property));
    }
  }
}

function* expressionValues(context, node, seen, name = null) {
  if (!node) return;
  if (node.type === 'ObjectExpression') yield* valuesOf(context, node, seen);
  else if (node.type === 'ArrayExpression') for (const element of node.elements) yield* expressionValues(context, element, seen, name);
  else if (node.type === 'CallExpression' && calleeName(node) === 'words') return;
  else for (const literal of literalsOf(node)) yield { literal, name };
}

/** `f(…)` and `x.f(…)` are both `f`. */
function calleeName(call) {
  const callee = call.callee;
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') return callee.property.name;
  return null;
}

function propertyName(property) {
  if (property.computed) return null;
  if (property.key.type === 'Identifier') return property.key.name;
  if (property.key.type === 'Literal') return String(property.key.value);
  return null;
}

/** Each literal once per rule and file, though two calls send the same context. */
const reported = new WeakMap();

function report(context, node, messageId) {
  let seen = reported.get(context);
  if (!seen) reported.set(context, (seen = new WeakSet()));
  if (seen.has(node)) return;
  seen.add(node);
  context.report({ node, messageId, data: { text: (literalText(node) ?? '').trim().slice(0, 40) } });
}

const HOW = 'Say it with catalogue words: words(\'<area>.<key>\', { …codes and values }) in the workflow, the wording in en and zh-CN in the catalogue (docs/console.md, "Words, not sentences").';

/** Workflow code: timeline summaries, deadline descriptions and step refusals. */
const noWorkflowSentences = {
  meta: {
    type: 'problem',
    docs: { description: 'Workflows record catalogue words, never sentences: no literal summaries, descriptions or refusals.' },
    schema: [],
    messages: {
      property: `A sentence as a {{name}} ('{{text}}'): ${HOW}`,
      refusal: `A sentence as a step refusal ('{{text}}'): rejectStep(words('refusal.<process>.<what>', {...})). ${HOW}`,
      timeline: `A sentence in a timeline entry ('{{text}}'): pass words('timeline.<process>.<kind>', {...}). ${HOW}`,
    },
  },
  create(context) {
    return {
      Property(node) {
        const name = propertyName(node);
        if (name !== 'summary' && name !== 'description') return;
        if (node.parent.type !== 'ObjectExpression') return;
        for (const literal of literalsOf(node.value)) if (hasLetters(literalText(literal))) context.report({ node: literal, messageId: 'property', data: { name, text: literalText(literal).trim().slice(0, 40) } });
      },
      CallExpression(node) {
        const name = calleeName(node);
        if (name === 'rejectStep' || name === 'invalidStep') {
          for (const literal of literalsOf(node.arguments[0])) if (hasLetters(literalText(literal))) report(context, literal, 'refusal');
        } else if (name === 'entry' || name === 'take') {
          // Keys and kinds are codes (`kickoff_held`, `assigned:${at}`); a spaced literal is a summary.
          for (const argument of node.arguments) for (const literal of literalsOf(argument)) if (looksLikeWords(literalText(literal))) report(context, literal, 'timeline');
        }
      },
    };
  },
};

/** Where notices are sent from: the values of their contexts. */
const NOTICE_CONTEXT_ARGUMENT = { notify: 3, escalate: 2 };

const noNoticeSentences = {
  meta: {
    type: 'problem',
    docs: { description: 'A notice context carries codes and values; its per-locale templates word them.' },
    schema: [],
    messages: {
      context: 'A sentence in a notice context (\'{{text}}\'): pass a code (e.g. `reasonKey: \'not_returned\'`) and let each locale\'s template word it (notices/<name>/<locale>.*.hbs).',
    },
  },
  create(context) {
    const check = (object) => {
      for (const { literal } of valuesOf(context, object)) if (looksLikeWords(literalText(literal))) report(context, literal, 'context');
    };
    return {
      CallExpression(node) {
        const name = calleeName(node);
        if (Object.hasOwn(NOTICE_CONTEXT_ARGUMENT, name)) {
          check(objectOf(context, node.arguments[NOTICE_CONTEXT_ARGUMENT[name]]));
        } else if (name === 'sendNotice') {
          const request = objectOf(context, node.arguments[0]);
          const property = request?.properties.find((p) => p.type === 'Property' && propertyName(p) === 'context');
          if (property) check(objectOf(context, property.value));
        }
      },
    };
  },
};

/** Console helpers whose arguments a person reads, by position. */
const CONSOLE_TEXT_ARGUMENTS = { message: [3, 4], formWithProblem: [1], formWithFieldError: [2], formFromError: [2], formFromApiError: [2] };
/** What a page shows as text: here even one word with no space (`title: 'Tickets'`) is refused. */
const TEXT_PROPERTIES = new Set(['title', 'message', 'text', 'label', 'heading', 'intro', 'hint', 'note', 'problem', 'error', 'summary', 'description']);

const noConsoleSentences = {
  meta: {
    type: 'problem',
    docs: { description: 'Console pages say what they show through the catalogue (t, say, label), never with literal sentences.' },
    schema: [],
    messages: {
      view: 'A sentence on a console page (\'{{text}}\'): put it in the area\'s messages.ts (en and zh-CN) and say it with t(req, res, \'<key>\') or say(locale, words).',
    },
  },
  create(context) {
    /** `text`: the argument is itself read as text (a title, a message), so any letters are refused. */
    const check = (node, text = false) => {
      for (const { literal, name } of expressionValues(context, objectOf(context, node) ?? node, new Set())) {
        const said = literalText(literal);
        if (looksLikeWords(said) || ((text || TEXT_PROPERTIES.has(name)) && hasLetters(said))) report(context, literal, 'view');
      }
    };
    return {
      CallExpression(node) {
        const name = calleeName(node);
        if (name === 'send' && node.arguments.length >= 5) check(node.arguments[4]);
        else if (name === 'send' && node.arguments.length === 1 && node.callee.type === 'MemberExpression') check(node.arguments[0]);
        else if (Object.hasOwn(CONSOLE_TEXT_ARGUMENTS, name)) for (const index of CONSOLE_TEXT_ARGUMENTS[name]) check(node.arguments[index], true);
      },
    };
  },
};

export default {
  meta: { name: 'aftercare-words' },
  rules: {
    'no-workflow-sentences': noWorkflowSentences,
    'no-notice-sentences': noNoticeSentences,
    'no-console-sentences': noConsoleSentences,
  },
};
