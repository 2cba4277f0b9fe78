# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_jit_global_optspecs
    string join \n project= folder= organization= bucket= secret= service-account= kms-keyring= kms-key= run-service= region= resource= format= q/quiet v/verbose endpoint= emulator impersonate-service-account= access-token-file= retry-attempts= retry-timeout= h/help V/version
end

function __fish_jit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_jit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_jit_using_subcommand
    set -l cmd (__fish_jit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c jit -n "__fish_jit_needs_command" -l project -d 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration\'s project' -r
complete -c jit -n "__fish_jit_needs_command" -l folder -d 'Folder number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_needs_command" -l organization -d 'Organization number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_needs_command" -l bucket -d 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access' -r
complete -c jit -n "__fish_jit_needs_command" -l secret -d 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_needs_command" -l service-account -d 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them' -r
complete -c jit -n "__fish_jit_needs_command" -l kms-keyring -d 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)' -r
complete -c jit -n "__fish_jit_needs_command" -l kms-key -d 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)' -r
complete -c jit -n "__fish_jit_needs_command" -l run-service -d 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_needs_command" -l region -d 'The region of the Cloud Run services named by their short name' -r
complete -c jit -n "__fish_jit_needs_command" -l resource -d 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)' -r
complete -c jit -n "__fish_jit_needs_command" -l format -d 'Output format. Default: table on a terminal, JSON otherwise' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c jit -n "__fish_jit_needs_command" -l endpoint -d 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service\'s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google\'s' -r
complete -c jit -n "__fish_jit_needs_command" -l impersonate-service-account -d 'Act as this service account, through short-lived tokens from IAM Credentials' -r
complete -c jit -n "__fish_jit_needs_command" -l access-token-file -d 'Read the OAuth access token from this file instead of looking for credentials' -r -F
complete -c jit -n "__fish_jit_needs_command" -l retry-attempts -d 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)' -r
complete -c jit -n "__fish_jit_needs_command" -l retry-timeout -d 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer' -r
complete -c jit -n "__fish_jit_needs_command" -s q -l quiet -d 'Print nothing but errors (and the edited policy with --policy-file)'
complete -c jit -n "__fish_jit_needs_command" -s v -l verbose -d 'Explain each API call, retry and wait on stderr (never a token)'
complete -c jit -n "__fish_jit_needs_command" -l emulator -d 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
complete -c jit -n "__fish_jit_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c jit -n "__fish_jit_needs_command" -s V -l version -d 'Print version'
complete -c jit -n "__fish_jit_needs_command" -f -a "grant" -d 'Grant roles until a time: adds bindings with a time-bound IAM Condition'
complete -c jit -n "__fish_jit_needs_command" -f -a "list" -d 'List time-bound bindings from any tool: who holds what, until when'
complete -c jit -n "__fish_jit_needs_command" -f -a "revoke" -d 'End time-bound access early by removing those bindings or members'
complete -c jit -n "__fish_jit_needs_command" -f -a "cleanup" -d 'Remove bindings that can never grant access again (for cron)'
complete -c jit -n "__fish_jit_needs_command" -f -a "emulator" -d 'Serve the local emulator of Google\'s IAM policy API'
complete -c jit -n "__fish_jit_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c jit -n "__fish_jit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c jit -n "__fish_jit_using_subcommand grant" -l for -d 'How long: 90m, 2h, 1h30m, 1d, PT2H. Default: 1h' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l until -d 'Until when: RFC 3339 with an offset, or HH:MM (the next such local time)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l start -d 'Start later: RFC 3339 with an offset, or HH:MM. --for then counts from the start' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l member -d 'Who gets the roles (repeatable): user:, group:, serviceAccount:, domain:, principal://, principalSet://, or a bare email. Default: yourself' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l reason -d 'Why; recorded in the condition\'s description' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l max-duration -d 'The longest grant allowed. Default: JIT_MAX_DURATION or 12h' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l policy-file -d 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l project -d 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration\'s project' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l folder -d 'Folder number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l organization -d 'Organization number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l bucket -d 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l secret -d 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l service-account -d 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l kms-keyring -d 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l kms-key -d 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l run-service -d 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l region -d 'The region of the Cloud Run services named by their short name' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l resource -d 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l format -d 'Output format. Default: table on a terminal, JSON otherwise' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c jit -n "__fish_jit_using_subcommand grant" -l endpoint -d 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service\'s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google\'s' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l impersonate-service-account -d 'Act as this service account, through short-lived tokens from IAM Credentials' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l access-token-file -d 'Read the OAuth access token from this file instead of looking for credentials' -r -F
complete -c jit -n "__fish_jit_using_subcommand grant" -l retry-attempts -d 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l retry-timeout -d 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer' -r
complete -c jit -n "__fish_jit_using_subcommand grant" -l replace -d 'Set the expiry exactly, even if that shortens an existing grant'
complete -c jit -n "__fish_jit_using_subcommand grant" -l dry-run -d 'Show the change without writing it'
complete -c jit -n "__fish_jit_using_subcommand grant" -s y -l yes -d 'Do not ask for confirmation on a terminal'
complete -c jit -n "__fish_jit_using_subcommand grant" -l in-place -d 'With --policy-file FILE: write the edited policy back into FILE instead of stdout'
complete -c jit -n "__fish_jit_using_subcommand grant" -s q -l quiet -d 'Print nothing but errors (and the edited policy with --policy-file)'
complete -c jit -n "__fish_jit_using_subcommand grant" -s v -l verbose -d 'Explain each API call, retry and wait on stderr (never a token)'
complete -c jit -n "__fish_jit_using_subcommand grant" -l emulator -d 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
complete -c jit -n "__fish_jit_using_subcommand grant" -s h -l help -d 'Print help'
complete -c jit -n "__fish_jit_using_subcommand list" -l member -d 'Only this member (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l role -d 'Only this role (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l policy-file -d 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l project -d 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration\'s project' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l folder -d 'Folder number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l organization -d 'Organization number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l bucket -d 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l secret -d 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l service-account -d 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l kms-keyring -d 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l kms-key -d 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l run-service -d 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l region -d 'The region of the Cloud Run services named by their short name' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l resource -d 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l format -d 'Output format. Default: table on a terminal, JSON otherwise' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c jit -n "__fish_jit_using_subcommand list" -l endpoint -d 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service\'s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google\'s' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l impersonate-service-account -d 'Act as this service account, through short-lived tokens from IAM Credentials' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l access-token-file -d 'Read the OAuth access token from this file instead of looking for credentials' -r -F
complete -c jit -n "__fish_jit_using_subcommand list" -l retry-attempts -d 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l retry-timeout -d 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer' -r
complete -c jit -n "__fish_jit_using_subcommand list" -l all -d 'Include expired bindings'
complete -c jit -n "__fish_jit_using_subcommand list" -s q -l quiet -d 'Print nothing but errors (and the edited policy with --policy-file)'
complete -c jit -n "__fish_jit_using_subcommand list" -s v -l verbose -d 'Explain each API call, retry and wait on stderr (never a token)'
complete -c jit -n "__fish_jit_using_subcommand list" -l emulator -d 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
complete -c jit -n "__fish_jit_using_subcommand list" -s h -l help -d 'Print help'
complete -c jit -n "__fish_jit_using_subcommand revoke" -l member -d 'Whose access to end (repeatable). Default: yourself' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l policy-file -d 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l project -d 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration\'s project' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l folder -d 'Folder number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l organization -d 'Organization number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l bucket -d 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l secret -d 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l service-account -d 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l kms-keyring -d 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l kms-key -d 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l run-service -d 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l region -d 'The region of the Cloud Run services named by their short name' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l resource -d 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l format -d 'Output format. Default: table on a terminal, JSON otherwise' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c jit -n "__fish_jit_using_subcommand revoke" -l endpoint -d 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service\'s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google\'s' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l impersonate-service-account -d 'Act as this service account, through short-lived tokens from IAM Credentials' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l access-token-file -d 'Read the OAuth access token from this file instead of looking for credentials' -r -F
complete -c jit -n "__fish_jit_using_subcommand revoke" -l retry-attempts -d 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l retry-timeout -d 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer' -r
complete -c jit -n "__fish_jit_using_subcommand revoke" -l all-members -d 'End everyone\'s time-bound access to these roles'
complete -c jit -n "__fish_jit_using_subcommand revoke" -l dry-run -d 'Show the change without writing it'
complete -c jit -n "__fish_jit_using_subcommand revoke" -s y -l yes -d 'Do not ask for confirmation on a terminal'
complete -c jit -n "__fish_jit_using_subcommand revoke" -l in-place -d 'With --policy-file FILE: write the edited policy back into FILE instead of stdout'
complete -c jit -n "__fish_jit_using_subcommand revoke" -s q -l quiet -d 'Print nothing but errors (and the edited policy with --policy-file)'
complete -c jit -n "__fish_jit_using_subcommand revoke" -s v -l verbose -d 'Explain each API call, retry and wait on stderr (never a token)'
complete -c jit -n "__fish_jit_using_subcommand revoke" -l emulator -d 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
complete -c jit -n "__fish_jit_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l grace -d 'Keep bindings that ended less than this long ago, e.g. 24h. Default: 0' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l concurrency -d 'How many resources to work on at once' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l policy-file -d 'Work on a policy JSON file as `gcloud ... get-iam-policy --format=json` prints it (`-` for stdin), with no network and no credentials. The edited policy goes to stdout' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l project -d 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration\'s project' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l folder -d 'Folder number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l organization -d 'Organization number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l bucket -d 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l secret -d 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l service-account -d 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l kms-keyring -d 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l kms-key -d 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l run-service -d 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l region -d 'The region of the Cloud Run services named by their short name' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l resource -d 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l format -d 'Output format. Default: table on a terminal, JSON otherwise' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l endpoint -d 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service\'s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google\'s' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l impersonate-service-account -d 'Act as this service account, through short-lived tokens from IAM Credentials' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l access-token-file -d 'Read the OAuth access token from this file instead of looking for credentials' -r -F
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l retry-attempts -d 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l retry-timeout -d 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer' -r
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l dry-run -d 'Show what would be removed without writing'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l recursive -d 'With --folder or --organization: also every folder and project below'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l only-jit -d 'Only remove bindings jit wrote'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l in-place -d 'With --policy-file FILE: write the edited policy back into FILE instead of stdout'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -s q -l quiet -d 'Print nothing but errors (and the edited policy with --policy-file)'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -s v -l verbose -d 'Explain each API call, retry and wait on stderr (never a token)'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -l emulator -d 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
complete -c jit -n "__fish_jit_using_subcommand cleanup" -s h -l help -d 'Print help'
complete -c jit -n "__fish_jit_using_subcommand emulator" -l port -d 'Port to listen on, on 127.0.0.1 (0 picks a free one and prints it)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l state -d 'Keep the state in this JSON file: written atomically after every change, reloaded on start' -r -F
complete -c jit -n "__fish_jit_using_subcommand emulator" -l seed -d 'Start from this seed (hierarchy, policies, identities) instead of the built-in demo' -r -F
complete -c jit -n "__fish_jit_using_subcommand emulator" -l clock -d 'Start the emulator\'s clock (the `request.time` of conditions) at this RFC 3339 time' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l latency-ms -d 'Fault: add this latency to every API call' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l conflict-rate -d 'Fault: probability (0–1) that a setIamPolicy answers 409 ABORTED' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l error-rate -d 'Fault: probability (0–1) that an API call answers --error-status with Retry-After' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l error-status -d 'Fault: the status of injected errors, 429 or 503' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l retry-after -d 'Fault: Retry-After seconds on injected errors' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l drop-rate -d 'Fault: probability (0–1) that an API call\'s connection is dropped without an answer' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l write-key -d 'Write a service-account JSON key file (token_uri pointing at the emulator) and register its key, then serve' -r -F
complete -c jit -n "__fish_jit_using_subcommand emulator" -l service-account -d 'The service account of --write-key' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l project -d 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration\'s project' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l folder -d 'Folder number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l organization -d 'Organization number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l bucket -d 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l secret -d 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l kms-keyring -d 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l kms-key -d 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l run-service -d 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l region -d 'The region of the Cloud Run services named by their short name' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l resource -d 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l format -d 'Output format. Default: table on a terminal, JSON otherwise' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c jit -n "__fish_jit_using_subcommand emulator" -l endpoint -d 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service\'s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google\'s' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l impersonate-service-account -d 'Act as this service account, through short-lived tokens from IAM Credentials' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l access-token-file -d 'Read the OAuth access token from this file instead of looking for credentials' -r -F
complete -c jit -n "__fish_jit_using_subcommand emulator" -l retry-attempts -d 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l retry-timeout -d 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer' -r
complete -c jit -n "__fish_jit_using_subcommand emulator" -l no-auth -d 'Accept every request without credentials and allow everything'
complete -c jit -n "__fish_jit_using_subcommand emulator" -l freeze-clock -d 'Keep the clock still (it moves only through the control routes)'
complete -c jit -n "__fish_jit_using_subcommand emulator" -l print-seed -d 'Print the built-in demo seed (the seed file format) and exit'
complete -c jit -n "__fish_jit_using_subcommand emulator" -s q -l quiet -d 'Print nothing but errors (and the edited policy with --policy-file)'
complete -c jit -n "__fish_jit_using_subcommand emulator" -s v -l verbose -d 'Explain each API call, retry and wait on stderr (never a token)'
complete -c jit -n "__fish_jit_using_subcommand emulator" -l emulator -d 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
complete -c jit -n "__fish_jit_using_subcommand emulator" -s h -l help -d 'Print help'
complete -c jit -n "__fish_jit_using_subcommand completions" -l project -d 'Project ID to work on (repeatable). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the active gcloud configuration\'s project' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l folder -d 'Folder number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l organization -d 'Organization number to work on (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l bucket -d 'Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform bucket-level access' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l secret -d 'Secret Manager secret, `projects/P/secrets/NAME` or NAME in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l service-account -d 'IAM service account, by e-mail (repeatable): who may act as it. Service accounts do not accept conditional bindings, so `grant` refuses them' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l kms-keyring -d 'Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l kms-key -d 'Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l run-service -d 'Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in the default project (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l region -d 'The region of the Cloud Run services named by their short name' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l resource -d 'Any of the above by its full resource name, as Cloud Asset Inventory and Cloud Audit Logs write it: `//storage.googleapis.com/projects/_/buckets/B`, … (repeatable)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l format -d 'Output format. Default: table on a terminal, JSON otherwise' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c jit -n "__fish_jit_using_subcommand completions" -l endpoint -d 'Base URL of every Google API jit calls, e.g. http://127.0.0.1:8080 for an emulator (Storage under URL/storage/v1/). Default: each service\'s CLOUDSDK_API_ENDPOINT_OVERRIDES_… variable (…_CLOUDRESOURCEMANAGER, …_STORAGE, …_SECRETMANAGER, …_IAM, …_CLOUDKMS, …_RUN), else Google\'s' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l impersonate-service-account -d 'Act as this service account, through short-lived tokens from IAM Credentials' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l access-token-file -d 'Read the OAuth access token from this file instead of looking for credentials' -r -F
complete -c jit -n "__fish_jit_using_subcommand completions" -l retry-attempts -d 'Give up a read-modify-write after this many tries (conflicts, 429, 5xx, dropped and timed-out connections are retried)' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -l retry-timeout -d 'Give up a read-modify-write (or a read, or one page of a listing) after this long, waits included; no single call waits longer for an answer' -r
complete -c jit -n "__fish_jit_using_subcommand completions" -s q -l quiet -d 'Print nothing but errors (and the edited policy with --policy-file)'
complete -c jit -n "__fish_jit_using_subcommand completions" -s v -l verbose -d 'Explain each API call, retry and wait on stderr (never a token)'
complete -c jit -n "__fish_jit_using_subcommand completions" -l emulator -d 'Work against a local, in-process emulator whose state lives in $XDG_STATE_HOME/jit/emulator.json (no Google account needed)'
complete -c jit -n "__fish_jit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c jit -n "__fish_jit_using_subcommand help; and not __fish_seen_subcommand_from grant list revoke cleanup emulator completions help" -f -a "grant" -d 'Grant roles until a time: adds bindings with a time-bound IAM Condition'
complete -c jit -n "__fish_jit_using_subcommand help; and not __fish_seen_subcommand_from grant list revoke cleanup emulator completions help" -f -a "list" -d 'List time-bound bindings from any tool: who holds what, until when'
complete -c jit -n "__fish_jit_using_subcommand help; and not __fish_seen_subcommand_from grant list revoke cleanup emulator completions help" -f -a "revoke" -d 'End time-bound access early by removing those bindings or members'
complete -c jit -n "__fish_jit_using_subcommand help; and not __fish_seen_subcommand_from grant list revoke cleanup emulator completions help" -f -a "cleanup" -d 'Remove bindings that can never grant access again (for cron)'
complete -c jit -n "__fish_jit_using_subcommand help; and not __fish_seen_subcommand_from grant list revoke cleanup emulator completions help" -f -a "emulator" -d 'Serve the local emulator of Google\'s IAM policy API'
complete -c jit -n "__fish_jit_using_subcommand help; and not __fish_seen_subcommand_from grant list revoke cleanup emulator completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c jit -n "__fish_jit_using_subcommand help; and not __fish_seen_subcommand_from grant list revoke cleanup emulator completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
