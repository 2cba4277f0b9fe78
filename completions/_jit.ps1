
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'jit' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'jit'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'jit' {
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Folder number to work on (repeatable)')
            [CompletionResult]::new('--organization', '--organization', [CompletionResultType]::ParameterName, 'Organization number to work on (repeatable)')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them')
            [CompletionResult]::new('--kms-keyring', '--kms-keyring', [CompletionResultType]::ParameterName, 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)')
            [CompletionResult]::new('--kms-key', '--kms-key', [CompletionResultType]::ParameterName, 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)')
            [CompletionResult]::new('--run-service', '--run-service', [CompletionResultType]::ParameterName, 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the Cloud Run services named by their short name')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format. Default: table on a terminal, JSON otherwise')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service''s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google''s')
            [CompletionResult]::new('--impersonate-service-account', '--impersonate-service-account', [CompletionResultType]::ParameterName, 'Act as this service account, through short-lived tokens from IAM Credentials')
            [CompletionResult]::new('--access-token-file', '--access-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth access token from this file instead of looking for credentials')
            [CompletionResult]::new('--retry-attempts', '--retry-attempts', [CompletionResultType]::ParameterName, 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--emulator', '--emulator', [CompletionResultType]::ParameterName, 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Grant roles until a time: adds bindings with a time-bound IAM Condition')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List time-bound bindings from any tool: who holds what, until when')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End time-bound access early by removing those bindings or members')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Remove bindings that can never grant access again (for cron)')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Serve the local emulator of Google''s IAM policy API')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'jit;grant' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long: 90m, 2h, 1h30m, 1d, PT2H. Default: 1h')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Until when: RFC 3339 with an offset, or HH:MM (the next such local time)')
            [CompletionResult]::new('--start', '--start', [CompletionResultType]::ParameterName, 'Start later: RFC 3339 with an offset, or HH:MM. --for then counts from the start')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'Who gets the roles (repeatable): user:, group:, serviceAccount:, domain:, principal://, principalSet://, or a bare email. Default: yourself')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why; recorded in the condition''s description')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'The longest grant allowed. Default: JIT_MAX_DURATION or 12h')
            [CompletionResult]::new('--policy-file', '--policy-file', [CompletionResultType]::ParameterName, 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Folder number to work on (repeatable)')
            [CompletionResult]::new('--organization', '--organization', [CompletionResultType]::ParameterName, 'Organization number to work on (repeatable)')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them')
            [CompletionResult]::new('--kms-keyring', '--kms-keyring', [CompletionResultType]::ParameterName, 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)')
            [CompletionResult]::new('--kms-key', '--kms-key', [CompletionResultType]::ParameterName, 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)')
            [CompletionResult]::new('--run-service', '--run-service', [CompletionResultType]::ParameterName, 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the Cloud Run services named by their short name')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format. Default: table on a terminal, JSON otherwise')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service''s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google''s')
            [CompletionResult]::new('--impersonate-service-account', '--impersonate-service-account', [CompletionResultType]::ParameterName, 'Act as this service account, through short-lived tokens from IAM Credentials')
            [CompletionResult]::new('--access-token-file', '--access-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth access token from this file instead of looking for credentials')
            [CompletionResult]::new('--retry-attempts', '--retry-attempts', [CompletionResultType]::ParameterName, 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Set the expiry exactly, even if that shortens an existing grant')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the change without writing it')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'With --policy-file FILE: write the edited policy back into FILE instead of stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--emulator', '--emulator', [CompletionResultType]::ParameterName, 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'jit;list' {
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'Only this member (repeatable)')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Only this role (repeatable)')
            [CompletionResult]::new('--policy-file', '--policy-file', [CompletionResultType]::ParameterName, 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Folder number to work on (repeatable)')
            [CompletionResult]::new('--organization', '--organization', [CompletionResultType]::ParameterName, 'Organization number to work on (repeatable)')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them')
            [CompletionResult]::new('--kms-keyring', '--kms-keyring', [CompletionResultType]::ParameterName, 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)')
            [CompletionResult]::new('--kms-key', '--kms-key', [CompletionResultType]::ParameterName, 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)')
            [CompletionResult]::new('--run-service', '--run-service', [CompletionResultType]::ParameterName, 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the Cloud Run services named by their short name')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format. Default: table on a terminal, JSON otherwise')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service''s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google''s')
            [CompletionResult]::new('--impersonate-service-account', '--impersonate-service-account', [CompletionResultType]::ParameterName, 'Act as this service account, through short-lived tokens from IAM Credentials')
            [CompletionResult]::new('--access-token-file', '--access-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth access token from this file instead of looking for credentials')
            [CompletionResult]::new('--retry-attempts', '--retry-attempts', [CompletionResultType]::ParameterName, 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include expired bindings')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--emulator', '--emulator', [CompletionResultType]::ParameterName, 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'jit;revoke' {
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'Whose access to end (repeatable). Default: yourself')
            [CompletionResult]::new('--policy-file', '--policy-file', [CompletionResultType]::ParameterName, 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Folder number to work on (repeatable)')
            [CompletionResult]::new('--organization', '--organization', [CompletionResultType]::ParameterName, 'Organization number to work on (repeatable)')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them')
            [CompletionResult]::new('--kms-keyring', '--kms-keyring', [CompletionResultType]::ParameterName, 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)')
            [CompletionResult]::new('--kms-key', '--kms-key', [CompletionResultType]::ParameterName, 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)')
            [CompletionResult]::new('--run-service', '--run-service', [CompletionResultType]::ParameterName, 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the Cloud Run services named by their short name')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format. Default: table on a terminal, JSON otherwise')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service''s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google''s')
            [CompletionResult]::new('--impersonate-service-account', '--impersonate-service-account', [CompletionResultType]::ParameterName, 'Act as this service account, through short-lived tokens from IAM Credentials')
            [CompletionResult]::new('--access-token-file', '--access-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth access token from this file instead of looking for credentials')
            [CompletionResult]::new('--retry-attempts', '--retry-attempts', [CompletionResultType]::ParameterName, 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer')
            [CompletionResult]::new('--all-members', '--all-members', [CompletionResultType]::ParameterName, 'End everyone''s time-bound access to these roles')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the change without writing it')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'With --policy-file FILE: write the edited policy back into FILE instead of stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--emulator', '--emulator', [CompletionResultType]::ParameterName, 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'jit;cleanup' {
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Keep bindings that ended less than this long ago, e.g. 24h. Default: 0')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many resources to work on at once')
            [CompletionResult]::new('--policy-file', '--policy-file', [CompletionResultType]::ParameterName, 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Folder number to work on (repeatable)')
            [CompletionResult]::new('--organization', '--organization', [CompletionResultType]::ParameterName, 'Organization number to work on (repeatable)')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them')
            [CompletionResult]::new('--kms-keyring', '--kms-keyring', [CompletionResultType]::ParameterName, 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)')
            [CompletionResult]::new('--kms-key', '--kms-key', [CompletionResultType]::ParameterName, 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)')
            [CompletionResult]::new('--run-service', '--run-service', [CompletionResultType]::ParameterName, 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the Cloud Run services named by their short name')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format. Default: table on a terminal, JSON otherwise')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service''s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google''s')
            [CompletionResult]::new('--impersonate-service-account', '--impersonate-service-account', [CompletionResultType]::ParameterName, 'Act as this service account, through short-lived tokens from IAM Credentials')
            [CompletionResult]::new('--access-token-file', '--access-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth access token from this file instead of looking for credentials')
            [CompletionResult]::new('--retry-attempts', '--retry-attempts', [CompletionResultType]::ParameterName, 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be removed without writing')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'With --folder or --organization: also every folder and project below')
            [CompletionResult]::new('--only-jit', '--only-jit', [CompletionResultType]::ParameterName, 'Only remove bindings jit wrote')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'With --policy-file FILE: write the edited policy back into FILE instead of stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--emulator', '--emulator', [CompletionResultType]::ParameterName, 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'jit;emulator' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on, on 127.0.0.1 (0 picks a free one and prints it)')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Keep the state in this JSON file: written atomically after every change, reloaded on start')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Start from this seed (hierarchy, policies, identities) instead of the built-in demo')
            [CompletionResult]::new('--clock', '--clock', [CompletionResultType]::ParameterName, 'Start the emulator''s clock (the `request.time` of conditions) at this RFC 3339 time')
            [CompletionResult]::new('--latency-ms', '--latency-ms', [CompletionResultType]::ParameterName, 'Fault: add this latency to every API call')
            [CompletionResult]::new('--conflict-rate', '--conflict-rate', [CompletionResultType]::ParameterName, 'Fault: probability (0–1) that a setIamPolicy answers 409 ABORTED')
            [CompletionResult]::new('--error-rate', '--error-rate', [CompletionResultType]::ParameterName, 'Fault: probability (0–1) that an API call answers --error-status with Retry-After')
            [CompletionResult]::new('--error-status', '--error-status', [CompletionResultType]::ParameterName, 'Fault: the status of injected errors, 429 or 503')
            [CompletionResult]::new('--retry-after', '--retry-after', [CompletionResultType]::ParameterName, 'Fault: Retry-After seconds on injected errors')
            [CompletionResult]::new('--drop-rate', '--drop-rate', [CompletionResultType]::ParameterName, 'Fault: probability (0–1) that an API call''s connection is dropped without an answer')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write a service-account JSON key file (token_uri pointing at the emulator) and register its key, then serve')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'The service account of --write-key')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Folder number to work on (repeatable)')
            [CompletionResult]::new('--organization', '--organization', [CompletionResultType]::ParameterName, 'Organization number to work on (repeatable)')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)')
            [CompletionResult]::new('--kms-keyring', '--kms-keyring', [CompletionResultType]::ParameterName, 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)')
            [CompletionResult]::new('--kms-key', '--kms-key', [CompletionResultType]::ParameterName, 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)')
            [CompletionResult]::new('--run-service', '--run-service', [CompletionResultType]::ParameterName, 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the Cloud Run services named by their short name')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format. Default: table on a terminal, JSON otherwise')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service''s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google''s')
            [CompletionResult]::new('--impersonate-service-account', '--impersonate-service-account', [CompletionResultType]::ParameterName, 'Act as this service account, through short-lived tokens from IAM Credentials')
            [CompletionResult]::new('--access-token-file', '--access-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth access token from this file instead of looking for credentials')
            [CompletionResult]::new('--retry-attempts', '--retry-attempts', [CompletionResultType]::ParameterName, 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Accept every request without credentials and allow everything')
            [CompletionResult]::new('--freeze-clock', '--freeze-clock', [CompletionResultType]::ParameterName, 'Keep the clock still (it moves only through the control routes)')
            [CompletionResult]::new('--print-seed', '--print-seed', [CompletionResultType]::ParameterName, 'Print the built-in demo seed (the seed file format) and exit')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--emulator', '--emulator', [CompletionResultType]::ParameterName, 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'jit;completions' {
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'Folder number to work on (repeatable)')
            [CompletionResult]::new('--organization', '--organization', [CompletionResultType]::ParameterName, 'Organization number to work on (repeatable)')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them')
            [CompletionResult]::new('--kms-keyring', '--kms-keyring', [CompletionResultType]::ParameterName, 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)')
            [CompletionResult]::new('--kms-key', '--kms-key', [CompletionResultType]::ParameterName, 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)')
            [CompletionResult]::new('--run-service', '--run-service', [CompletionResultType]::ParameterName, 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the Cloud Run services named by their short name')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format. Default: table on a terminal, JSON otherwise')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service''s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google''s')
            [CompletionResult]::new('--impersonate-service-account', '--impersonate-service-account', [CompletionResultType]::ParameterName, 'Act as this service account, through short-lived tokens from IAM Credentials')
            [CompletionResult]::new('--access-token-file', '--access-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth access token from this file instead of looking for credentials')
            [CompletionResult]::new('--retry-attempts', '--retry-attempts', [CompletionResultType]::ParameterName, 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)')
            [CompletionResult]::new('--retry-timeout', '--retry-timeout', [CompletionResultType]::ParameterName, 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (and the edited policy with --policy-file)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain each API call, retry and wait on stderr (never a token)')
            [CompletionResult]::new('--emulator', '--emulator', [CompletionResultType]::ParameterName, 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'jit;help' {
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Grant roles until a time: adds bindings with a time-bound IAM Condition')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List time-bound bindings from any tool: who holds what, until when')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End time-bound access early by removing those bindings or members')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Remove bindings that can never grant access again (for cron)')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Serve the local emulator of Google''s IAM policy API')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'jit;help;grant' {
            break
        }
        'jit;help;list' {
            break
        }
        'jit;help;revoke' {
            break
        }
        'jit;help;cleanup' {
            break
        }
        'jit;help;emulator' {
            break
        }
        'jit;help;completions' {
            break
        }
        'jit;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
