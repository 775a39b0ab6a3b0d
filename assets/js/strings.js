// Every string the pages show, in one place. To translate: copy `en` under a new language
// code, translate the values (keep the {placeholders}), and add it to `tables`.

const en = {
  brand: 'studyhub',
  skip: 'Skip to content',
  loading: 'Loading…',
  cancel: 'Cancel',
  save: 'Save',
  signout: 'Sign out',
  'nav.account': 'Account',
  'connection.reconnecting': 'Reconnecting… everything you do is kept.',
  'shell.wrong_page': 'This page is for another kind of account.',
  'shell.go_home': 'Go to your page',

  'title.signin': 'studyhub — sign in',
  'title.play': 'studyhub — play',
  'title.parent': 'studyhub — family',
  'title.teacher': 'studyhub — classes',

  'signin.heading': 'Learning that feels like play',
  'signin.lead': 'Short activities with instant feedback, stars and achievements. Parents set the screen time; teachers see their class live.',
  'signin.title': 'Sign in',
  'signin.submit': 'Sign in',
  'signin.new': 'New here?',
  'signin.to_register': 'Create an account',
  'signin.welcome': 'Welcome, {name}!',
  'register.title': 'Create an account',
  'register.role': 'I am a…',
  'register.submit': 'Create account',
  'register.have_account': 'Already have an account?',
  'register.to_signin': 'Sign in',
  'role.parent': 'Parent',
  'role.teacher': 'Teacher',
  'role.student': 'Student',
  'field.email': 'Email',
  'field.password': 'Password',
  'field.new_password': 'Password',
  'field.password_hint': 'At least 8 characters.',
  'field.name': 'Name',

  'time.minute': '1 minute',
  'time.minutes': '{n} minutes',

  'play.picker.title': 'Who is playing?',
  'play.picker.none': 'No children yet.',
  'play.picker.add': 'Add a child on the family page.',
  'play.switch': 'Switch child',
  'play.hello': 'Hi {name}! What shall we play?',
  'play.recommended': 'Try this next',
  'play.all': 'All activities',
  'play.activity_meta': '{category} · {n} questions',
  'play.continue': 'Continue: {title}',
  'play.starting_soon': 'Getting ready… it starts in a moment.',
  'play.together': 'Play with your class',
  'play.game_code': 'Game code from your teacher',
  'play.join_game': 'Join the game',
  'play.class_code': 'Class code',
  'play.join_class': 'Join the class',
  'play.joined_class': 'You joined {name}.',
  'play.progress': 'Question {n} of {total}',
  'play.true': 'True',
  'play.false': 'False',
  'play.type_number': 'Type a number',
  'play.type_word': 'Type your answer',
  'play.check': 'Check',
  'play.checking': 'Checking…',
  'play.right': 'Yes! That is right.',
  'play.wrong': 'Not quite. The answer is {answer}.',
  'play.next': 'Next question',
  'play.see_stars': 'See my stars',
  'play.leave': 'Stop for now',
  'play.stars': '{n} of 3 stars',
  'play.done.title': 'Well done!',
  'play.done.amazing': 'Amazing!',
  'play.done.score': '{correct} of {total} right ({accuracy}%)',
  'play.done.next': 'Next: {title}',
  'play.done.catalog': 'All activities',
  'play.achievement.title': 'You unlocked “{title}”!',
  'play.achievement.points': '+{n} points',
  'play.achievement.close': 'Yay!',
  'play.time_left': '{time} left',
  'play.time_warning': 'Only {time} left today. Time to finish up, or ask for more time.',
  'play.ask_time': 'More time?',
  'play.ask.title': 'Ask for more time',
  'play.ask.how_long': 'How much more?',
  'play.ask.15': '15 minutes',
  'play.ask.30': '30 minutes',
  'play.ask.60': '1 hour',
  'play.ask.reason': 'Why? (you can leave this empty)',
  'play.ask.send': 'Ask',
  'play.ask.offline': 'Just a moment, we are reconnecting. Try again soon.',
  'play.ask.sent': 'We asked your grown-up. Keep playing!',
  'play.ask.approved': 'Yay! You have {time} more.',
  'play.ask.denied': 'Not this time. Your grown-up said no.',
  'play.ask.time_request_pending': 'You already asked. Your grown-up will answer soon.',
  'play.ask.time_request_limit': 'You have asked three times today. Maybe tomorrow!',
  'play.ask.forbidden': 'Only a child with a grown-up on studyhub can ask for more time.',
  'play.timeup.title': 'That’s all for today!',
  'play.timeup.body': 'Your screen time is used up. Great work. See you tomorrow!',
  'play.timeup.check': 'Did a grown-up add time? Check again',
  'play.downtime.title': 'Time for a break',
  'play.downtime.until': 'You can play again at {when}.',
  'play.replaced.title': 'Playing on another device',
  'play.replaced.body': 'You started playing somewhere else, so we paused here.',
  'play.replaced.resume': 'Play here instead',

  'game.title': 'Class game',
  'game.joining': 'Joining the game…',
  'game.waiting': 'You’re in! Wait for your teacher to start.',
  'game.seconds_left': '{n} seconds',
  'game.answer_sent': 'Answer sent!',
  'game.right': 'Right!',
  'game.wrong': 'Not this time.',
  'game.reveal': 'The answer: {answer}',
  'game.you': 'Your score: {score} · place {rank}',
  'game.next_soon': 'Next question soon…',
  'game.over': 'Game over!',
  'game.final': 'You scored {score} and came {rank}.',
  'game.podium': 'Winners',
  'game.points': '{n} points',
  'game.leave': 'Leave the game',
  'game.error.unknown_game': 'There is no game with that code right now.',
  'game.error.not_in_class': 'That game is for a class you are not in.',
  'game.error.game_over': 'That game has already finished.',

  'next.start_here': 'A good place to start.',
  'next.harder': 'You’re doing great, here is a harder one!',
  'next.easier': 'Let’s practise with this one.',
  'next.keep_going': 'Keep going!',
  'next.new_interest': 'Something new you might like.',

  'category.math': 'Maths',
  'category.science': 'Science',
  'category.music': 'Music',
  'category.pages': 'Study pages',

  'error.generic': 'Something went wrong. Please try again.',
  'error.network': 'We cannot reach studyhub right now. Check the connection and try again.',
  'error.invalid_credentials': 'That email and password do not match.',
  'error.email_taken': 'There is already an account with that email.',
  'error.rate_limited': 'Too many tries. Please wait a little and try again.',
  'error.validation_failed': 'Please check the highlighted fields.',
  'error.unknown_activity': 'That activity is not available any more.',
  'error.not_found': 'We could not find that.',
  'error.already_answered': 'That request was already answered.',
};

const tables = { en };

let table = en;

export function setLanguage(code) {
  const base = (code || 'en').toLowerCase().split('-')[0];
  table = tables[base] ?? en;
  document.documentElement.lang = tables[base] ? base : 'en';
}

// The string for `key` with {placeholders} filled in; the key itself if there is none.
export function t(key, vars = {}) {
  const text = table[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? '').toString());
}

// Fills every [data-t] (text), [data-t-label] (aria-label) and [data-t-placeholder].
export function applyStrings(root = document) {
  setLanguage(navigator.language);
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll('[data-t-label]')) el.setAttribute('aria-label', t(el.dataset.tLabel));
  for (const el of root.querySelectorAll('[data-t-placeholder]')) el.setAttribute('placeholder', t(el.dataset.tPlaceholder));
}
