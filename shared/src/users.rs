//! Who may see what (main manual §8.1): the pages of each role, custom users with chosen pages,
//! tenants who see only their own devices, the lock PIN, and the rules of the users page.
//!
//! The server enforces these rules on every route; the browser uses the same functions to hide
//! what a user cannot open and to check a form before sending it.

use serde::{Deserialize, Serialize};

use crate::api::Role;
use crate::validation::{FieldError, PASSWORD_MAX_CHARS, validate_password, validate_username};

/// A page set entry of §8.1.1: what a role, or a custom user, may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Page {
    /// Web Server configuration: the box's own settings and the accounts of outside services.
    WebServer,
    /// Managing users (part of Web Server configuration, kept to administrators and greenUp).
    Users,
    /// System configuration: gateways, devices, loads, groups, panel boards, bus diagnostics.
    System,
    /// My panel board: every device with its live values.
    PanelBoard,
    /// Consumption: data and diagrams.
    Consumption,
    /// Reports and data download.
    Reports,
    /// Reports: alarms.
    Alarms,
    /// Green'Up: EV charging stations.
    GreenUp,
}

impl Page {
    /// Every page, in menu order.
    pub const ALL: [Page; 8] = [
        Page::PanelBoard,
        Page::Consumption,
        Page::Reports,
        Page::Alarms,
        Page::GreenUp,
        Page::System,
        Page::WebServer,
        Page::Users,
    ];

    /// Translation key of the page's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Page::WebServer => "page.web_server",
            Page::Users => "page.users",
            Page::System => "page.system",
            Page::PanelBoard => "page.panel_board",
            Page::Consumption => "page.consumption",
            Page::Reports => "page.reports",
            Page::Alarms => "page.alarms",
            Page::GreenUp => "page.green_up",
        }
    }

    /// Whether an administrator may give this page to a custom user. Managing users stays with
    /// administrators and greenUp (§8.1.2): a custom user who could manage users could make
    /// themselves an administrator.
    pub fn grantable(self) -> bool {
        self != Page::Users
    }

    /// Whether the page shows every device of the installation whatever the user's devices: a
    /// tenant (bound to devices) cannot have it.
    pub fn shows_whole_installation(self) -> bool {
        matches!(self, Page::WebServer | Page::Users | Page::System)
    }
}

impl Role {
    /// The four roles of §8.1.1 and custom users.
    pub const ALL: [Role; 5] = [
        Role::Administrator,
        Role::GreenUp,
        Role::Installer,
        Role::User,
        Role::Custom,
    ];

    /// The pages of a built-in role (§8.1.1); a custom user's are chosen one by one.
    pub fn pages(self) -> &'static [Page] {
        match self {
            Role::Administrator => &[
                Page::WebServer,
                Page::Users,
                Page::System,
                Page::PanelBoard,
                Page::Consumption,
                Page::Reports,
                Page::Alarms,
            ],
            Role::GreenUp => &[
                Page::WebServer,
                Page::Users,
                Page::System,
                Page::PanelBoard,
                Page::Consumption,
                Page::GreenUp,
                Page::Reports,
                Page::Alarms,
            ],
            Role::Installer => &[
                Page::System,
                Page::PanelBoard,
                Page::Consumption,
                Page::Alarms,
            ],
            Role::User => &[Page::Consumption, Page::Alarms],
            Role::Custom => &[],
        }
    }

    /// Translation key of the role's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Administrator => "role.administrator",
            Role::Installer => "role.installer",
            Role::GreenUp => "role.green_up",
            Role::User => "role.user",
            Role::Custom => "role.custom",
        }
    }

    /// Whether a user of this role may be bound to a set of devices (a tenant): only roles
    /// without configuration pages.
    pub fn may_be_tenant(self) -> bool {
        matches!(self, Role::User | Role::Custom)
    }
}

/// The pages a user may open: the role's, or the chosen ones of a custom user (never one a
/// custom user cannot be given), sorted and without repeats.
pub fn effective_pages(role: Role, chosen: &[Page]) -> Vec<Page> {
    let mut pages: Vec<Page> = match role {
        Role::Custom => chosen
            .iter()
            .copied()
            .filter(|page| page.grantable())
            .collect(),
        _ => role.pages().to_vec(),
    };
    pages.sort();
    pages.dedup();
    pages
}

/// A user account as the users page lists it. Never carries a password or a PIN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserAccount {
    pub username: String,
    pub role: Role,
    /// The pages this user may open (the role's, or a custom user's choice).
    pub pages: Vec<Page>,
    /// A disabled user cannot log in; their sessions were closed when they were disabled.
    pub enabled: bool,
    /// A tenant sees only these devices; `None`: every device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<u32>>,
    /// Whether the user chose a PIN to unlock a locked session.
    pub has_pin: bool,
}

/// `POST /api/users` (a new user) and `PUT /api/users/{username}` (a change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserForm {
    pub username: String,
    pub role: Role,
    /// A custom user's pages; ignored for the built-in roles.
    #[serde(default)]
    pub pages: Vec<Page>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Bind the user to these devices (a tenant); `None` or absent: every device.
    #[serde(default)]
    pub devices: Option<Vec<u32>>,
    /// Required for a new user; on a change, a new password set by an administrator (the user's
    /// sessions are closed); absent keeps the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

fn enabled_by_default() -> bool {
    true
}

/// `PUT /api/account/password`: a user changes their own password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// `PUT /api/account/pin`: a user chooses, or clears, the PIN that unlocks a locked session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PinChange {
    /// The account's password: a PIN is a shortcut to it, so setting one needs it.
    pub password: String,
    /// 4 to 8 digits; `None` clears the PIN.
    #[serde(default)]
    pub pin: Option<String>,
}

/// `POST /api/unlock`: the password, or the PIN, of the locked session's user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnlockRequest {
    pub secret: String,
}

/// Shortest lock PIN.
pub const PIN_MIN_DIGITS: usize = 4;
/// Longest lock PIN.
pub const PIN_MAX_DIGITS: usize = 8;

/// A lock PIN: 4 to 8 digits, typed on a phone's number pad.
pub fn validate_pin(pin: &str) -> Result<(), FieldError> {
    if !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(FieldError::new(
            "pin",
            "error.pin_digits",
            "The PIN is made of digits only.",
        ));
    }
    if !(PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&pin.len()) {
        return Err(FieldError::new(
            "pin",
            "error.pin_length",
            "The PIN has 4 to 8 digits.",
        ));
    }
    Ok(())
}

/// A password (or PIN) typed to confirm who one is — to change one's password or PIN, or to
/// unlock: only present and not oversized, so accounts keep working if the rules change.
pub fn validate_confirmation(secret: &str, field: &'static str) -> Result<(), FieldError> {
    if secret.is_empty() {
        return Err(FieldError::new(
            field,
            "error.password_empty",
            "Enter a password.",
        ));
    }
    if secret.chars().count() > PASSWORD_MAX_CHARS {
        return Err(FieldError::new(
            field,
            "error.password_too_long",
            "The password is longer than 128 characters.",
        ));
    }
    Ok(())
}

/// A new password of one's own: the usual rules, and different from the current one.
pub fn validate_password_change(change: &PasswordChange) -> Result<(), FieldError> {
    validate_confirmation(&change.current_password, "current_password")?;
    validate_password(&change.new_password).map_err(|error| FieldError {
        field: "new_password",
        ..error
    })?;
    if change.new_password == change.current_password {
        return Err(FieldError::new(
            "new_password",
            "error.password_unchanged",
            "The new password is the current one.",
        ));
    }
    Ok(())
}

/// The PIN form: the password must be there; the PIN, when given, follows [`validate_pin`].
pub fn validate_pin_change(change: &PinChange) -> Result<(), FieldError> {
    validate_confirmation(&change.password, "password")?;
    match &change.pin {
        Some(pin) => validate_pin(pin),
        None => Ok(()),
    }
}

/// What the users page knows besides the form: the accounts there are and the devices there are.
#[derive(Debug, Clone, Copy)]
pub struct UserContext<'a> {
    pub accounts: &'a [UserAccount],
    /// Ids of the installation's devices.
    pub devices: &'a [u32],
    /// Whether the form changes an existing account (its name is then fixed).
    pub existing: bool,
    /// The role of whoever submits the form.
    pub editor: Role,
}

/// The users page's form (§8.1.2, §8.1.3). Checks, in order: the name, the password, the pages
/// of a custom user, the devices of a tenant, and who may give which role.
pub fn validate_user(form: &UserForm, context: UserContext<'_>) -> Result<(), FieldError> {
    validate_username(&form.username)?;
    let taken = context
        .accounts
        .iter()
        .any(|account| account.username.eq_ignore_ascii_case(&form.username));
    if !context.existing && taken {
        return Err(FieldError::new(
            "username",
            "error.username_taken",
            "A user with this name exists already.",
        ));
    }
    match (&form.password, context.existing) {
        (Some(password), _) => validate_password(password)?,
        (None, false) => {
            return Err(FieldError::new(
                "password",
                "error.password_empty",
                "Enter a password.",
            ));
        }
        (None, true) => {}
    }
    if form.role == Role::Custom {
        if form.pages.is_empty() {
            return Err(FieldError::new(
                "pages",
                "error.pages_empty",
                "Choose at least one page.",
            ));
        }
        if form.pages.iter().any(|page| !page.grantable()) {
            return Err(FieldError::new(
                "pages",
                "error.page_not_grantable",
                "Only administrators and greenUp manage users.",
            ));
        }
    }
    if let Some(devices) = &form.devices {
        if !form.role.may_be_tenant() {
            return Err(FieldError::new(
                "devices",
                "error.tenant_role",
                "Only a user or a custom user can be limited to some devices.",
            ));
        }
        if devices.is_empty() {
            return Err(FieldError::new(
                "devices",
                "error.devices_empty",
                "Choose at least one device.",
            ));
        }
        if devices.iter().any(|id| !context.devices.contains(id)) {
            return Err(FieldError::new(
                "devices",
                "error.device_unknown",
                "One of the chosen devices does not exist.",
            ));
        }
        if effective_pages(form.role, &form.pages)
            .iter()
            .any(|page| page.shows_whole_installation())
        {
            return Err(FieldError::new(
                "pages",
                "error.tenant_pages",
                "A user limited to some devices cannot have configuration pages.",
            ));
        }
    }
    // A greenUp manages users but cannot make or change administrators (no way up past its own
    // rights).
    let touches_administrator = form.role == Role::Administrator
        || context.accounts.iter().any(|account| {
            account.username == form.username && account.role == Role::Administrator
        });
    if context.editor != Role::Administrator && touches_administrator {
        return Err(FieldError::new(
            "role",
            "error.role_not_allowed",
            "Only an administrator manages administrators.",
        ));
    }
    if context.existing {
        check_administrators_remain(context.accounts, &form.username, |account| {
            form.role == Role::Administrator && form.enabled && account.is_some()
        })?;
    }
    Ok(())
}

/// Erasing a user: an administrator remains, and only an administrator erases one.
pub fn validate_user_removal(
    username: &str,
    accounts: &[UserAccount],
    editor: Role,
) -> Result<(), FieldError> {
    let is_administrator = accounts
        .iter()
        .any(|account| account.username == username && account.role == Role::Administrator);
    if is_administrator && editor != Role::Administrator {
        return Err(FieldError::new(
            "role",
            "error.role_not_allowed",
            "Only an administrator manages administrators.",
        ));
    }
    check_administrators_remain(accounts, username, |_| false)
}

/// Refuses a change that leaves no enabled administrator. `after` tells whether the account
/// `username` is still an enabled administrator once changed.
fn check_administrators_remain(
    accounts: &[UserAccount],
    username: &str,
    after: impl Fn(Option<&UserAccount>) -> bool,
) -> Result<(), FieldError> {
    let others = accounts
        .iter()
        .filter(|account| account.username != username)
        .any(|account| account.role == Role::Administrator && account.enabled);
    let changed = accounts.iter().find(|account| account.username == username);
    let was_administrator =
        changed.is_some_and(|account| account.role == Role::Administrator && account.enabled);
    if was_administrator && !others && !after(changed) {
        return Err(FieldError::new(
            "role",
            "error.last_administrator",
            "This is the last administrator: there must always be one.",
        ));
    }
    Ok(())
}

/// Every translation key the rules of this module can return.
pub const USER_ERROR_CODES: &[&str] = &[
    "error.username_taken",
    "error.pin_digits",
    "error.pin_length",
    "error.password_unchanged",
    "error.pages_empty",
    "error.page_not_grantable",
    "error.tenant_role",
    "error.devices_empty",
    "error.device_unknown",
    "error.tenant_pages",
    "error.role_not_allowed",
    "error.last_administrator",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn account(username: &str, role: Role, enabled: bool) -> UserAccount {
        UserAccount {
            username: username.into(),
            role,
            pages: role.pages().to_vec(),
            enabled,
            devices: None,
            has_pin: false,
        }
    }

    fn form(username: &str, role: Role) -> UserForm {
        UserForm {
            username: username.into(),
            role,
            pages: Vec::new(),
            enabled: true,
            devices: None,
            password: Some("a long enough password".into()),
        }
    }

    fn context<'a>(accounts: &'a [UserAccount], existing: bool) -> UserContext<'a> {
        UserContext {
            accounts,
            devices: &[1, 2, 3],
            existing,
            editor: Role::Administrator,
        }
    }

    #[test]
    fn roles_have_the_page_sets_of_the_manual() {
        use Page::*;
        assert_eq!(
            effective_pages(Role::Administrator, &[]),
            vec![
                WebServer,
                Users,
                System,
                PanelBoard,
                Consumption,
                Reports,
                Alarms
            ]
        );
        assert!(effective_pages(Role::GreenUp, &[]).contains(&GreenUp));
        assert!(!effective_pages(Role::Administrator, &[]).contains(&GreenUp));
        assert_eq!(
            effective_pages(Role::Installer, &[]),
            vec![System, PanelBoard, Consumption, Alarms]
        );
        assert_eq!(effective_pages(Role::User, &[]), vec![Consumption, Alarms]);
        // The built-in roles ignore a choice; a custom user never gets user management.
        assert_eq!(
            effective_pages(Role::User, &[WebServer]),
            vec![Consumption, Alarms]
        );
        assert_eq!(
            effective_pages(Role::Custom, &[Users, PanelBoard, PanelBoard]),
            vec![PanelBoard]
        );
    }

    #[test]
    fn a_new_user_needs_a_free_name_and_a_password() {
        let accounts = [account("admin", Role::Administrator, true)];
        assert_eq!(
            validate_user(&form("alice", Role::User), context(&accounts, false)),
            Ok(())
        );
        let taken = validate_user(&form("ADMIN", Role::User), context(&accounts, false));
        assert_eq!(taken.unwrap_err().code, "error.username_taken");
        let mut without_password = form("alice", Role::User);
        without_password.password = None;
        assert_eq!(
            validate_user(&without_password, context(&accounts, false))
                .unwrap_err()
                .field,
            "password"
        );
        // A change keeps the password when none is given.
        let existing = [
            account("admin", Role::Administrator, true),
            account("alice", Role::User, true),
        ];
        assert_eq!(
            validate_user(&without_password, context(&existing, true)),
            Ok(())
        );
    }

    #[test]
    fn custom_users_choose_pages_but_never_user_management() {
        let accounts = [account("admin", Role::Administrator, true)];
        let mut custom = form("bob", Role::Custom);
        assert_eq!(
            validate_user(&custom, context(&accounts, false))
                .unwrap_err()
                .code,
            "error.pages_empty"
        );
        custom.pages = vec![Page::PanelBoard, Page::Users];
        assert_eq!(
            validate_user(&custom, context(&accounts, false))
                .unwrap_err()
                .code,
            "error.page_not_grantable"
        );
        custom.pages = vec![Page::PanelBoard, Page::Consumption];
        assert_eq!(validate_user(&custom, context(&accounts, false)), Ok(()));
    }

    #[test]
    fn tenants_are_users_bound_to_existing_devices_without_configuration_pages() {
        let accounts = [account("admin", Role::Administrator, true)];
        let mut tenant = form("flat-2", Role::User);
        tenant.devices = Some(vec![2]);
        assert_eq!(validate_user(&tenant, context(&accounts, false)), Ok(()));
        tenant.devices = Some(vec![]);
        assert_eq!(
            validate_user(&tenant, context(&accounts, false))
                .unwrap_err()
                .code,
            "error.devices_empty"
        );
        tenant.devices = Some(vec![9]);
        assert_eq!(
            validate_user(&tenant, context(&accounts, false))
                .unwrap_err()
                .code,
            "error.device_unknown"
        );
        let mut installer = form("inst", Role::Installer);
        installer.devices = Some(vec![1]);
        assert_eq!(
            validate_user(&installer, context(&accounts, false))
                .unwrap_err()
                .code,
            "error.tenant_role"
        );
        let mut custom = form("manager", Role::Custom);
        custom.pages = vec![Page::Consumption, Page::System];
        custom.devices = Some(vec![1]);
        assert_eq!(
            validate_user(&custom, context(&accounts, false))
                .unwrap_err()
                .code,
            "error.tenant_pages"
        );
    }

    #[test]
    fn an_enabled_administrator_always_remains() {
        let alone = [
            account("admin", Role::Administrator, true),
            account("alice", Role::User, true),
        ];
        let mut demoted = form("admin", Role::Installer);
        demoted.password = None;
        assert_eq!(
            validate_user(&demoted, context(&alone, true))
                .unwrap_err()
                .code,
            "error.last_administrator"
        );
        let mut disabled = form("admin", Role::Administrator);
        disabled.enabled = false;
        assert_eq!(
            validate_user(&disabled, context(&alone, true))
                .unwrap_err()
                .code,
            "error.last_administrator"
        );
        assert_eq!(
            validate_user_removal("admin", &alone, Role::Administrator)
                .unwrap_err()
                .code,
            "error.last_administrator"
        );
        assert_eq!(
            validate_user_removal("alice", &alone, Role::Administrator),
            Ok(())
        );
        // A second enabled administrator makes it possible; a disabled one does not.
        let two = [
            account("admin", Role::Administrator, true),
            account("boss", Role::Administrator, true),
        ];
        assert_eq!(validate_user(&demoted, context(&two, true)), Ok(()));
        assert_eq!(
            validate_user_removal("admin", &two, Role::Administrator),
            Ok(())
        );
        let disabled_second = [
            account("admin", Role::Administrator, true),
            account("boss", Role::Administrator, false),
        ];
        assert!(validate_user_removal("admin", &disabled_second, Role::Administrator).is_err());
    }

    #[test]
    fn green_up_manages_users_but_not_administrators() {
        let accounts = [
            account("admin", Role::Administrator, true),
            account("boss", Role::Administrator, true),
            account("alice", Role::User, true),
        ];
        let by_green_up = |existing| UserContext {
            editor: Role::GreenUp,
            ..context(&accounts, existing)
        };
        assert_eq!(
            validate_user(&form("carol", Role::User), by_green_up(false)),
            Ok(())
        );
        assert_eq!(
            validate_user(&form("mallory", Role::Administrator), by_green_up(false))
                .unwrap_err()
                .code,
            "error.role_not_allowed"
        );
        let mut demote = form("boss", Role::User);
        demote.password = None;
        assert_eq!(
            validate_user(&demote, by_green_up(true)).unwrap_err().code,
            "error.role_not_allowed"
        );
        assert_eq!(
            validate_user_removal("boss", &accounts, Role::GreenUp)
                .unwrap_err()
                .code,
            "error.role_not_allowed"
        );
    }

    #[test]
    fn a_confirmation_is_present_and_not_oversized() {
        assert_eq!(validate_confirmation("anything", "secret"), Ok(()));
        assert_eq!(
            validate_confirmation("", "secret").unwrap_err().code,
            "error.password_empty"
        );
        let long = validate_confirmation(&"x".repeat(129), "password").unwrap_err();
        assert_eq!(
            (long.field, long.code),
            ("password", "error.password_too_long")
        );
    }

    #[test]
    fn pins_are_four_to_eight_digits() {
        assert_eq!(validate_pin("1234"), Ok(()));
        assert_eq!(validate_pin("12345678"), Ok(()));
        assert_eq!(validate_pin("123").unwrap_err().code, "error.pin_length");
        assert_eq!(
            validate_pin("123456789").unwrap_err().code,
            "error.pin_length"
        );
        assert_eq!(validate_pin("12a4").unwrap_err().code, "error.pin_digits");
        assert_eq!(validate_pin("١٢٣٤").unwrap_err().code, "error.pin_digits");
    }

    #[test]
    fn a_new_password_differs_and_follows_the_rules() {
        let change = |current: &str, new: &str| {
            validate_password_change(&PasswordChange {
                current_password: current.into(),
                new_password: new.into(),
            })
        };
        assert_eq!(change("old password 1", "new password 2"), Ok(()));
        assert_eq!(
            change("", "new password 2").unwrap_err().field,
            "current_password"
        );
        assert_eq!(
            change("old password 1", "short").unwrap_err().field,
            "new_password"
        );
        assert_eq!(
            change("same password", "same password").unwrap_err().code,
            "error.password_unchanged"
        );
    }
}
