//! One function per operation: the caller and a typed input in, a result
//! or an error naming the field or the rule out. The policy decision and the
//! audit entry's part are made inside, so the JSON API (`api/`) and the
//! pages (`ui/`), thin adapters over the same functions, cannot differ in
//! what they allow or record.

pub mod access_log;
pub mod accounts;
pub mod break_glass;
pub mod children;
pub mod duties;
pub mod episodes;
pub mod events;
pub mod imports;
pub mod involvements;
pub mod missing;
pub mod national_alerts;
pub mod notifications;
pub mod placements;
pub mod profiles;
pub mod reports;
pub mod sessions;
pub mod tokens;
