// The main navigation's agenda links: My tasks with the due-now badge
// (refreshed on an interval, no reload), and Statistics.
import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useDueNow } from '../../api/tasks';

export function TasksNavLinks() {
  const { t } = useTranslation();
  const due = useDueNow();
  const count = due.data?.count ?? 0;
  return (
    <>
      <NavLink to="/tasks" className="nav-tasks">
        {t('myTasks.nav')}
        {count > 0 && (
          <>
            <span className="badge badge-due" aria-hidden="true" data-count={count}>
              {count >= 100 ? '99+' : count}
            </span>
            <span className="visually-hidden">{t('myTasks.dueNow', { count })}</span>
          </>
        )}
      </NavLink>
      <NavLink to="/tasks/stats">{t('taskStats.nav')}</NavLink>
    </>
  );
}
