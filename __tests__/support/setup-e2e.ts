import { isolateTestEnvironment } from './environment';

isolateTestEnvironment('e2e');
