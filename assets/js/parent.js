// /parent (filled in by the next stage).
import { signedIn } from './shell.js';

signedIn(['parent']);
