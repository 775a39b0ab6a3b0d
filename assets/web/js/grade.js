// Grading on the device, for offline play: the same rules as the server's
// (`Question::grade` in actors/src/content.rs). tests/grading/cases.json holds the cases both
// must agree on; tests/api/grading.rs runs them through the server's grading and through this
// file (with node). The server grades every synced answer again and its grade stands.
// No DOM here: node imports this file as it is.

// A decimal as Rust's `f64::from_str` reads one (no blanks, no hex); `inf` and `nan` parse
// there but are never within a tolerance, so they are left out here.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseBool(text) {
  const word = text.trim().toLowerCase();
  if (word === 'true') return true;
  if (word === 'false') return false;
  return null;
}

// Whitespace runs as one space, lower case: how text answers are compared.
function normalizeText(text) {
  return text.split(/\s+/u).filter(Boolean).join(' ').toLowerCase();
}

const isText = (v) => typeof v === 'string';

// Whether `given` answers `question` ({answer_type, correct_answer, tolerance?}) rightly. A
// value of the wrong JSON type is simply wrong.
export function grade(question, given) {
  const key = question.correct_answer;
  switch (question.answer_type) {
    case 'true_false':
      if (typeof key !== 'boolean') return false;
      if (typeof given === 'boolean') return given === key;
      return isText(given) && parseBool(given) === key;
    case 'number': {
      if (typeof key !== 'number') return false;
      let value;
      if (typeof given === 'number') value = given;
      else if (isText(given) && DECIMAL.test(given.trim())) value = Number(given.trim());
      else return false;
      const tolerance = question.tolerance ?? 1e-9 * Math.max(Math.abs(key), 1);
      return Number.isFinite(value) && Math.abs(value - key) <= tolerance;
    }
    case 'multiple_choice':
      return isText(key) && isText(given) && key.trim() === given.trim();
    case 'multi_select': {
      if (!Array.isArray(key) || !Array.isArray(given)) return false;
      if (!given.every(isText)) return false;
      const set = (list) => new Set(list.map((s) => s.trim()));
      const a = set(key);
      const b = set(given);
      return a.size === b.size && [...a].every((s) => b.has(s));
    }
    case 'text':
      return isText(key) && isText(given) && normalizeText(key) === normalizeText(given);
    default:
      return false;
  }
}
