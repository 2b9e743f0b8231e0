-- Open duties by authority and role, in due order: "my overdue duties" and
-- "due in the next N hours" read the first rows of this index.
CREATE INDEX duties_open_by_role ON duties (authority, by_role, due) WHERE state IN ('due', 'overdue', 'upcoming');
CREATE INDEX duties_open_by_authority ON duties (authority, due) WHERE state IN ('due', 'overdue', 'upcoming');

-- Duplicate matching compares family names without regard to case.
CREATE INDEX children_match_folded ON children (LOWER(family_name), date_of_birth);
