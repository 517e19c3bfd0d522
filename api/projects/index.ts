import { apiModule } from '../module';
import { projectReads } from './read';
import { projectSteps } from './steps';

/** P1/P2 project delivery: start, record each step, read the timeline. */
export const projectsModule = apiModule(projectReads, projectSteps);
