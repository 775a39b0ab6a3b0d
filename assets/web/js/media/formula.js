// A question's `formula` drawn as MathML. It is plain text from an author (numbers, letters,
// `+ - × ÷ * = ? ( ) . , : < >`, `a/b` a fraction, `a^b` a power), so it is read token by
// token and built with DOM calls: nothing of it is ever parsed as markup.

const MATHML = 'http://www.w3.org/1998/Math/MathML';

function node(tag, ...children) {
  const el = document.createElementNS(MATHML, tag);
  for (const child of children) el.append(child);
  return el;
}

// What a person would write for the operators typed on a keyboard.
const SHOWN = { '-': '−', '*': '×', '<': '<', '>': '>' };

// Numbers (with a decimal point), runs of letters, and single symbols; spaces dropped.
export function tokens(text) {
  return String(text).match(/\d+(?:\.\d+)?|[A-Za-z]+|\S/g) ?? [];
}

// Builds the MathML of a token list. Grammar, loosest first:
//   row   := (item)*             operators and operands side by side
//   item  := fraction | operator
//   fraction := power ('/' power)*   (a/b/c is (a/b)/c)
//   power := atom ('^' power)?       (2^3^2 is 2^(3^2))
//   atom  := number | letters | ? | '(' row ')'
// Brackets around a whole numerator, denominator or exponent only group: the bar and the
// raised position already show it, so they are not drawn there.
class Reader {
  constructor(list) {
    this.list = list;
    this.at = 0;
  }

  peek() {
    return this.list[this.at];
  }

  take() {
    const token = this.list[this.at];
    this.at += 1;
    return token;
  }

  isOperand(token) {
    return token !== undefined && (/^[\dA-Za-z?(]/.test(token));
  }

  // Until the end, or a `)` closing the group being read.
  row(inGroup = false) {
    const items = [];
    while (this.peek() !== undefined) {
      const token = this.peek();
      if (token === ')' && inGroup) break;
      if (this.isOperand(token)) {
        items.push(this.fraction());
      } else {
        this.take();
        items.push(node('mo', SHOWN[token] ?? token));
      }
    }
    return items.length === 1 ? items[0] : node('mrow', ...items);
  }

  fraction() {
    const left = this.power();
    let made = null;
    while (this.peek() === '/' && this.isOperand(this.list[this.at + 1])) {
      this.take();
      made = node('mfrac', made ?? left.bare, this.power().bare);
    }
    return made ?? left.shown;
  }

  // An operand with its exponent, as {shown, bare} (see `atom`).
  power() {
    const base = this.atom();
    if (this.peek() === '^' && this.isOperand(this.list[this.at + 1])) {
      this.take();
      const raised = node('msup', base.shown, this.power().bare);
      return { shown: raised, bare: raised };
    }
    return base;
  }

  // {shown, bare}: the atom as drawn, and without its brackets (the same for all but groups).
  atom() {
    const token = this.take();
    if (token === '(') {
      const inner = this.row(true);
      const closed = this.peek() === ')';
      if (closed) this.take();
      const shown = node('mrow', node('mo', '('), inner, ...(closed ? [node('mo', ')')] : []));
      return { shown, bare: inner };
    }
    let el;
    if (/^\d/.test(token)) el = node('mn', token);
    else if (token === '?') el = node('mi', '?');
    else el = node('mi', token);
    if (token === '?') el.setAttribute('class', 'unknown');
    return { shown: el, bare: el };
  }
}

// The <math> element for `text` (display block), with the text itself as `alttext` for
// anything that cannot read MathML.
export function formula(text) {
  const reader = new Reader(tokens(text));
  const math = node('math', reader.row());
  math.setAttribute('display', 'block');
  math.setAttribute('class', 'formula');
  math.setAttribute('alttext', String(text));
  return math;
}
