/** hostout.redhat (1.0a1, 2010): absorbed into the built-in bootstrap (see absorbed.ts). */
import { absorbedOsPlugin } from './absorbed';

export default absorbedOsPlugin('hostout.redhat', 'redhat');
