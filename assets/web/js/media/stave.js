// A question's stave: ABC notation drawn by abcjs (vendored under vendor/abcjs/, MIT), in an
// element that screen readers read as one picture with the author's text alternative.
// abcjs is loaded the first time a stave is drawn (it is large, and most questions have none).

const ABCJS_URL = new URL('../../vendor/abcjs/abcjs-basic-min.js', import.meta.url).href;
let loading = null;

// window.ABCJS, once its classic script has run (it is a UMD bundle, not a module).
function abcjs() {
  loading ??= new Promise((resolve, reject) => {
    if (window.ABCJS) {
      resolve(window.ABCJS);
      return;
    }
    const script = document.createElement('script');
    script.src = ABCJS_URL;
    script.async = true;
    script.addEventListener('load', () => (window.ABCJS ? resolve(window.ABCJS) : reject(new Error('abcjs'))));
    script.addEventListener('error', () => {
      loading = null; // another question may try again (a blip on the network)
      reject(new Error('abcjs did not load'));
    });
    document.head.append(script);
  });
  return loading;
}

// abcjs writes a few `style` attributes (a hidden box it measures text in, among others) and
// puts a stylesheet in each drawing (rules for dragging notes, which a question never does).
// The pages' content security policy refuses inline styles, so while abcjs draws, a `style`
// attribute goes to the element's CSSOM instead, which the policy allows, and a <style>
// element is left out. Drawing is synchronous: the patch is in place for exactly that long.
function asThePolicyAllows(draw) {
  const { setAttribute } = Element.prototype;
  const { appendChild, insertBefore } = Node.prototype;
  const isStyle = (node) => node instanceof Element && node.localName === 'style';
  Element.prototype.setAttribute = function styleAsCssom(name, value) {
    if (String(name).toLowerCase() === 'style' && this.style) {
      this.style.cssText = String(value);
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };
  Node.prototype.insertBefore = function noStylesheet(node, before) {
    return isStyle(node) ? node : insertBefore.call(this, node, before);
  };
  Node.prototype.appendChild = function noStylesheet(node) {
    return isStyle(node) ? node : appendChild.call(this, node);
  };
  try {
    return draw();
  } finally {
    Element.prototype.setAttribute = setAttribute;
    Node.prototype.insertBefore = insertBefore;
    Node.prototype.appendChild = appendChild;
  }
}

// The stave for `notation` (ABC) with `alt` as its text alternative. Returns the element at
// once; the drawing (an svg inside it) follows when abcjs is loaded. `data-drawn` says how
// it went: "yes", or "no" (then the text alternative is shown as text instead).
export function stave(notation, alt) {
  const box = document.createElement('div');
  box.className = 'stave';
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', alt);
  const paper = document.createElement('div');
  paper.className = 'stave-paper';
  box.append(paper);
  abcjs().then((ABCJS) => {
    // Drawn for the width there is (a phone's or at most 520 units), long tunes wrapped
    // into lines of about four bars; then scaled with the box.
    const width = Math.min(Math.max((paper.clientWidth || 340) - 8, 260), 520);
    asThePolicyAllows(() => ABCJS.renderAbc(paper, notation, {
      responsive: 'resize',
      staffwidth: width,
      wrap: { minSpacing: 1.8, maxSpacing: 2.7, preferredMeasuresPerLine: 4 },
      ariaLabel: '', // the box carries the text alternative
      paddingtop: 4,
      paddingbottom: 4,
      paddingleft: 4,
      paddingright: 4,
    }));
    const svg = paper.querySelector('svg');
    if (!svg) throw new Error('no stave drawn');
    svg.setAttribute('aria-hidden', 'true');
    svg.removeAttribute('role');
    box.dataset.drawn = 'yes';
  }).catch(() => {
    // Without a drawing the words still say what the stave shows.
    paper.replaceChildren();
    const text = document.createElement('p');
    text.className = 'stave-fallback';
    text.textContent = alt;
    box.removeAttribute('role');
    box.removeAttribute('aria-label');
    box.append(text);
    box.dataset.drawn = 'no';
  });
  return box;
}
