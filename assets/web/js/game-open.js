// "Your class's game is open": a card for each game open in the pupil's classes (from
// `hello.open_games` and `game_open`), one tap to join. Shown outside a game only.
import { announce, fill, h } from './dom.js';
import { t } from './strings.js';

export class OpenGames {
  // box: where the cards go; onJoin(game): the pupil tapped Join.
  constructor(box, onJoin) {
    Object.assign(this, { box, onJoin });
    this.games = new Map();
    this.hidden = false;
  }

  // The whole list again (a `hello`).
  set(list) {
    this.games = new Map((list ?? []).map((g) => [g.game_id, g]));
    this.render();
  }

  opened(game) {
    const isNew = !this.games.has(game.game_id);
    this.games.set(game.game_id, game);
    this.render();
    if (isNew && !this.hidden) announce(t('open.said', { title: game.activity_title ?? '' }));
  }

  closed(gameId) {
    if (this.games.delete(gameId)) this.render();
  }

  has(gameId) {
    return this.games.has(gameId);
  }

  // Hidden while the pupil is in a game.
  hide(hidden) {
    this.hidden = hidden;
    this.render();
  }

  render() {
    this.box.hidden = this.hidden || this.games.size === 0;
    fill(this.box, [...this.games.values()].map((g) => h('section', {
      class: 'open-game', 'aria-labelledby': `open-${g.game_id}`, dataset: { game: g.game_id },
    },
    h('p', { id: `open-${g.game_id}`, class: 'open-title' },
      h('span', { class: 'open-lead' }, t('open.lead')), ' ',
      h('strong', {}, g.activity_title ?? ''),
      g.class_name ? h('span', { class: 'open-class' }, ` · ${g.class_name}`) : null),
    h('button', {
      type: 'button', class: 'primary big open-join', 'aria-describedby': `open-${g.game_id}`,
      onclick: () => this.onJoin(g),
    }, t('open.join')))));
  }
}
