// Runs before every test file, also when files share a module graph (isolate: false): state that
// isolation used to reset per file is reset here.
import { SECRET_TEXTS } from './builders.js';

// Leak tests search for the secrets their own file built; other files' texts (some as short as
// "x") are not secrets of this file and would match by chance.
SECRET_TEXTS.clear();
