
use builtin;
use str;

set edit:completion:arg-completer[jit] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'jit'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'jit'= {
            cand --project 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project'
            cand --folder 'Folder number to work on (repeatable)'
            cand --organization 'Organization number to work on (repeatable)'
            cand --format 'Output format. Default: table on a terminal, JSON otherwise'
            cand --endpoint 'Cloud Resource Manager endpoint, e.g. http://127.0.0.1:8080 for an emulator. Default: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER, else Google''s'
            cand --impersonate-service-account 'Act as this service account, through short-lived tokens from IAM Credentials'
            cand --access-token-file 'Read the OAuth access token from this file instead of looking for credentials'
            cand --retry-attempts 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)'
            cand --retry-timeout 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer'
            cand -q 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand --quiet 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand -v 'Explain each API call, retry and wait on stderr (never a token)'
            cand --verbose 'Explain each API call, retry and wait on stderr (never a token)'
            cand --emulator 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand grant 'Grant roles until a time: adds bindings with a time-bound IAM Condition'
            cand list 'List time-bound bindings from any tool: who holds what, until when'
            cand revoke 'End time-bound access early by removing those bindings or members'
            cand cleanup 'Remove bindings that can never grant access again (for cron)'
            cand emulator 'Serve the local emulator of Google''s IAM policy API'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'jit;grant'= {
            cand --for 'How long: 90m, 2h, 1h30m, 1d, PT2H. Default: 1h'
            cand --until 'Until when: RFC 3339 with an offset, or HH:MM (the next such local time)'
            cand --start 'Start later: RFC 3339 with an offset, or HH:MM. --for then counts from the start'
            cand --member 'Who gets the roles (repeatable): user:, group:, serviceAccount:, domain:, principal://, principalSet://, or a bare email. Default: yourself'
            cand --reason 'Why; recorded in the condition''s description'
            cand --max-duration 'The longest grant allowed. Default: 12h'
            cand --policy-file 'Read the policy from a JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin) instead of the API: no network, no credentials'
            cand --project 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project'
            cand --folder 'Folder number to work on (repeatable)'
            cand --organization 'Organization number to work on (repeatable)'
            cand --format 'Output format. Default: table on a terminal, JSON otherwise'
            cand --endpoint 'Cloud Resource Manager endpoint, e.g. http://127.0.0.1:8080 for an emulator. Default: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER, else Google''s'
            cand --impersonate-service-account 'Act as this service account, through short-lived tokens from IAM Credentials'
            cand --access-token-file 'Read the OAuth access token from this file instead of looking for credentials'
            cand --retry-attempts 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)'
            cand --retry-timeout 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer'
            cand --replace 'Set the expiry exactly, even if that shortens an existing grant'
            cand --dry-run 'Show the change without writing it'
            cand -y 'Do not ask for confirmation on a terminal'
            cand --yes 'Do not ask for confirmation on a terminal'
            cand --in-place 'With --policy-file FILE: write the edited policy back into FILE. Without it the edited policy goes to stdout and the report to stderr'
            cand -q 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand --quiet 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand -v 'Explain each API call, retry and wait on stderr (never a token)'
            cand --verbose 'Explain each API call, retry and wait on stderr (never a token)'
            cand --emulator 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'jit;list'= {
            cand --member 'Only this member (repeatable)'
            cand --role 'Only this role (repeatable)'
            cand --policy-file 'Read the policy from a JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin) instead of the API: no network, no credentials'
            cand --project 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project'
            cand --folder 'Folder number to work on (repeatable)'
            cand --organization 'Organization number to work on (repeatable)'
            cand --format 'Output format. Default: table on a terminal, JSON otherwise'
            cand --endpoint 'Cloud Resource Manager endpoint, e.g. http://127.0.0.1:8080 for an emulator. Default: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER, else Google''s'
            cand --impersonate-service-account 'Act as this service account, through short-lived tokens from IAM Credentials'
            cand --access-token-file 'Read the OAuth access token from this file instead of looking for credentials'
            cand --retry-attempts 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)'
            cand --retry-timeout 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer'
            cand --all 'Include expired bindings'
            cand -q 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand --quiet 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand -v 'Explain each API call, retry and wait on stderr (never a token)'
            cand --verbose 'Explain each API call, retry and wait on stderr (never a token)'
            cand --emulator 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'jit;revoke'= {
            cand --member 'Whose access to end (repeatable). Default: yourself'
            cand --policy-file 'Read the policy from a JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin) instead of the API: no network, no credentials'
            cand --project 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project'
            cand --folder 'Folder number to work on (repeatable)'
            cand --organization 'Organization number to work on (repeatable)'
            cand --format 'Output format. Default: table on a terminal, JSON otherwise'
            cand --endpoint 'Cloud Resource Manager endpoint, e.g. http://127.0.0.1:8080 for an emulator. Default: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER, else Google''s'
            cand --impersonate-service-account 'Act as this service account, through short-lived tokens from IAM Credentials'
            cand --access-token-file 'Read the OAuth access token from this file instead of looking for credentials'
            cand --retry-attempts 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)'
            cand --retry-timeout 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer'
            cand --all-members 'End everyone''s time-bound access to these roles'
            cand --dry-run 'Show the change without writing it'
            cand -y 'Do not ask for confirmation on a terminal'
            cand --yes 'Do not ask for confirmation on a terminal'
            cand --in-place 'With --policy-file FILE: write the edited policy back into FILE. Without it the edited policy goes to stdout and the report to stderr'
            cand -q 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand --quiet 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand -v 'Explain each API call, retry and wait on stderr (never a token)'
            cand --verbose 'Explain each API call, retry and wait on stderr (never a token)'
            cand --emulator 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'jit;cleanup'= {
            cand --grace 'Keep bindings that ended less than this long ago, e.g. 24h. Default: 0'
            cand --concurrency 'How many resources to work on at once'
            cand --policy-file 'Read the policy from a JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin) instead of the API: no network, no credentials'
            cand --project 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project'
            cand --folder 'Folder number to work on (repeatable)'
            cand --organization 'Organization number to work on (repeatable)'
            cand --format 'Output format. Default: table on a terminal, JSON otherwise'
            cand --endpoint 'Cloud Resource Manager endpoint, e.g. http://127.0.0.1:8080 for an emulator. Default: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER, else Google''s'
            cand --impersonate-service-account 'Act as this service account, through short-lived tokens from IAM Credentials'
            cand --access-token-file 'Read the OAuth access token from this file instead of looking for credentials'
            cand --retry-attempts 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)'
            cand --retry-timeout 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer'
            cand --dry-run 'Show what would be removed without writing'
            cand --recursive 'With --folder or --organization: also every folder and project below'
            cand --only-jit 'Only remove bindings jit wrote'
            cand --in-place 'With --policy-file FILE: write the edited policy back into FILE. Without it the edited policy goes to stdout and the report to stderr'
            cand -q 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand --quiet 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand -v 'Explain each API call, retry and wait on stderr (never a token)'
            cand --verbose 'Explain each API call, retry and wait on stderr (never a token)'
            cand --emulator 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'jit;emulator'= {
            cand --port 'Port to listen on, on 127.0.0.1 (0 picks a free one and prints it)'
            cand --state 'Keep the state in this JSON file: written atomically after every change, reloaded on start'
            cand --seed 'Start from this seed (hierarchy, policies, identities) instead of the built-in demo'
            cand --clock 'Start the emulator''s clock (the `request.time` of conditions) at this RFC 3339 time'
            cand --latency-ms 'Fault: add this latency to every API call'
            cand --conflict-rate 'Fault: probability (0–1) that a setIamPolicy answers 409 ABORTED'
            cand --error-rate 'Fault: probability (0–1) that an API call answers --error-status with Retry-After'
            cand --error-status 'Fault: the status of injected errors, 429 or 503'
            cand --retry-after 'Fault: Retry-After seconds on injected errors'
            cand --drop-rate 'Fault: probability (0–1) that an API call''s connection is dropped without an answer'
            cand --write-key 'Write a service-account JSON key file (token_uri pointing at the emulator) and register its key, then serve'
            cand --service-account 'The service account of --write-key'
            cand --project 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project'
            cand --folder 'Folder number to work on (repeatable)'
            cand --organization 'Organization number to work on (repeatable)'
            cand --format 'Output format. Default: table on a terminal, JSON otherwise'
            cand --endpoint 'Cloud Resource Manager endpoint, e.g. http://127.0.0.1:8080 for an emulator. Default: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER, else Google''s'
            cand --impersonate-service-account 'Act as this service account, through short-lived tokens from IAM Credentials'
            cand --access-token-file 'Read the OAuth access token from this file instead of looking for credentials'
            cand --retry-attempts 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)'
            cand --retry-timeout 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer'
            cand --no-auth 'Accept every request without credentials and allow everything'
            cand --freeze-clock 'Keep the clock still (it moves only through the control routes)'
            cand --print-seed 'Print the built-in demo seed (the seed file format) and exit'
            cand -q 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand --quiet 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand -v 'Explain each API call, retry and wait on stderr (never a token)'
            cand --verbose 'Explain each API call, retry and wait on stderr (never a token)'
            cand --emulator 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'jit;completions'= {
            cand --project 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration''s project'
            cand --folder 'Folder number to work on (repeatable)'
            cand --organization 'Organization number to work on (repeatable)'
            cand --format 'Output format. Default: table on a terminal, JSON otherwise'
            cand --endpoint 'Cloud Resource Manager endpoint, e.g. http://127.0.0.1:8080 for an emulator. Default: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER, else Google''s'
            cand --impersonate-service-account 'Act as this service account, through short-lived tokens from IAM Credentials'
            cand --access-token-file 'Read the OAuth access token from this file instead of looking for credentials'
            cand --retry-attempts 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)'
            cand --retry-timeout 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer'
            cand -q 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand --quiet 'Print no tables, notes or progress: only errors, and what a script reads (JSON or YAML output, the edited policy of --policy-file)'
            cand -v 'Explain each API call, retry and wait on stderr (never a token)'
            cand --verbose 'Explain each API call, retry and wait on stderr (never a token)'
            cand --emulator 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'jit;help'= {
            cand grant 'Grant roles until a time: adds bindings with a time-bound IAM Condition'
            cand list 'List time-bound bindings from any tool: who holds what, until when'
            cand revoke 'End time-bound access early by removing those bindings or members'
            cand cleanup 'Remove bindings that can never grant access again (for cron)'
            cand emulator 'Serve the local emulator of Google''s IAM policy API'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'jit;help;grant'= {
        }
        &'jit;help;list'= {
        }
        &'jit;help;revoke'= {
        }
        &'jit;help;cleanup'= {
        }
        &'jit;help;emulator'= {
        }
        &'jit;help;completions'= {
        }
        &'jit;help;help'= {
        }
    ]
    $completions[$command]
}
