import { describeFaultMatrix } from './fault-matrix-suite.js';

describeFaultMatrix('microsoft365');
