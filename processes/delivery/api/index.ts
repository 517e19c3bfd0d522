import { apiModule } from '../../../platform/http/module';
import { assignProjectManager } from './assign';
import { projectReads } from './read';
import { projectSteps } from './steps';

/** P1/P2 project delivery: start, record each step, read the timeline, assign the manager. */
export const projectsModule = apiModule(projectReads, projectSteps, assignProjectManager);
