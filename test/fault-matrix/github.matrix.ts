import { describeFaultMatrix } from './fault-matrix-suite.js';

describeFaultMatrix('github');
