// /teacher (filled in by a later stage).
import { signedIn } from './shell.js';

signedIn(['teacher']);
