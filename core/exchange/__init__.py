"""Department data (部门数据) and comparisons (比对): the data-kind catalog (kinds), batch records
(records), the comparison as Ibis expressions (matching) on engine adapters (engines), findings
and tasks (rules), and their store."""
