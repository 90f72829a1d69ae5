// zod 4 probes `new Function('')` on its first object parse to decide whether to compile fast
// parsers. Our CSP has no 'unsafe-eval', so the probe is blocked and reported as a CSP violation:
// tell zod up front not to try. Imported first by main.ts (module order = evaluation order).
import { z } from 'zod';

z.config({ jitless: true });
