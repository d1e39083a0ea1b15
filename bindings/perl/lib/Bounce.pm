package Bounce;
# Perl binding of libbounce through FFI::Platypus (api => 2).
#   my $kb = Bounce::KB->builtin;
#   my $r  = $kb->classify("550 5.1.1 <bob\@example.org>: User unknown");
#   print $r->reason, " ", $r->cause, "\n";
use strict;
use warnings;
use FFI::Platypus 2.00;
use FFI::CheckLib qw(find_lib_or_die);
use JSON::PP ();

our $VERSION = '0.1';

my $ffi = FFI::Platypus->new(api => 2);
$ffi->lib($ENV{BOUNCE_LIBRARY} || find_lib_or_die(lib => 'bounce'));
$ffi->mangler(sub { "bounce_" . shift });

$ffi->attach(version_number => [] => 'uint32');
$ffi->attach(version => [] => 'string');
$ffi->attach(strerror => ['int'] => 'string');
$ffi->attach(status_name => ['int'] => 'string');
$ffi->attach(free => ['opaque'] => 'void');
$ffi->attach(enum_name => ['int', 'int'] => 'string');
$ffi->attach(enum_from_name => ['int', 'string'] => 'int');
$ffi->attach(enum_count => ['int'] => 'int');
$ffi->attach(diag_file => ['opaque'] => 'string');
$ffi->attach(diag_line => ['opaque'] => 'size_t');
$ffi->attach(diag_message => ['opaque'] => 'string');
$ffi->attach(diag_free => ['opaque'] => 'void');
$ffi->attach(kb_builtin => [] => 'opaque');
$ffi->attach(kb_load_file => ['opaque', 'string', 'opaque*', 'opaque*'] => 'int');
$ffi->attach(kb_free => ['opaque'] => 'void');
$ffi->attach(kb_signature_count => ['opaque'] => 'size_t');
$ffi->attach(kb_cause_count => ['opaque'] => 'size_t');
$ffi->attach(classify => ['opaque', 'string', 'size_t', 'int', 'string', 'int', 'opaque*'] => 'int');
$ffi->attach(result_free => ['opaque'] => 'void');
$ffi->attach(result_reason => ['opaque'] => 'int');
$ffi->attach(result_cause => ['opaque'] => 'string');
$ffi->attach(result_severity => ['opaque'] => 'int');
$ffi->attach(result_hard_bounce => ['opaque'] => 'int');
$ffi->attach(result_remediation_count => ['opaque', 'int'] => 'size_t');
$ffi->attach(result_remediation => ['opaque', 'int', 'size_t'] => 'string');
$ffi->attach(result_to_json => ['opaque', 'uint32', 'opaque*'] => 'int');
$ffi->attach(record_to_json => ['opaque', 'uint32', 'opaque*'] => 'int');
$ffi->attach(dsn_parse => ['opaque', 'string', 'size_t', 'string', 'uint32', 'opaque*'] => 'int');
$ffi->attach(dsn_free => ['opaque'] => 'void');
$ffi->attach(dsn_kind => ['opaque'] => 'int');
$ffi->attach(dsn_record_count => ['opaque'] => 'size_t');
$ffi->attach(dsn_record => ['opaque', 'size_t'] => 'opaque');
$ffi->attach(stream_new => ['opaque', 'uint32', 'int', 'opaque*'] => 'int');
$ffi->attach(stream_free => ['opaque'] => 'void');
$ffi->attach(stream_set_reference_time => ['opaque', 'sint64'] => 'int');
$ffi->attach(stream_feed => ['opaque', 'string', 'size_t'] => 'int');
$ffi->attach(stream_finish => ['opaque'] => 'int');
$ffi->attach(stream_next => ['opaque'] => 'opaque');

die "libbounce major version " . (version_number() >> 16) . " is not supported\n"
    if (version_number() >> 16) != 0;

use constant { ENUM_REASON => 0, ENUM_SEVERITY => 1, ENUM_MTA => 7, JSON_CANONICAL => 1 };

sub check {
    my ($st, $detail) = @_;
    return if $st == 0;
    die Bounce::Error->new($st, $detail);
}

# Owned char* comes back as opaque: copy it, then release it with bounce_free.
sub owned_string {
    my ($ptr) = @_;
    my $s = $ffi->cast('opaque', 'string', $ptr);
    Bounce::free($ptr);
    return $s;
}

sub record_json {
    my ($rec) = @_;
    my $out;
    check(Bounce::record_to_json($rec, JSON_CANONICAL, \$out));
    return JSON::PP::decode_json(owned_string($out));
}

package Bounce::Error;
use overload '""' => sub { $_[0]->{message} }, fallback => 1;
sub new {
    my ($class, $st, $detail) = @_;
    my $name = Bounce::status_name($st);
    my $msg = "$name: " . Bounce::strerror($st) . (defined $detail ? " ($detail)" : "");
    return bless { status => $st, name => $name, message => $msg }, $class;
}
sub name { $_[0]->{name} }

package Bounce::KB;
sub builtin { my $class = shift; return bless { h => Bounce::kb_builtin(), owned => 0 }, $class }
sub load {
    my ($self, $path) = @_;
    my ($out, $diag);
    my $st = Bounce::kb_load_file($self->{h}, $path, \$out, \$diag);
    if ($st != 0) {
        my $detail;
        if ($diag) {
            $detail = (Bounce::diag_file($diag) // $path) . ":" . Bounce::diag_line($diag) . ": " . Bounce::diag_message($diag);
            Bounce::diag_free($diag);
        }
        Bounce::check($st, $detail);
    }
    return bless { h => $out, owned => 1 }, ref $self;
}
sub signature_count { Bounce::kb_signature_count($_[0]->{h}) }
sub classify {
    my ($self, $text, %o) = @_;
    my $out;
    { use bytes; Bounce::check(Bounce::classify($self->{h}, $text, length($text), $o{reply_code} // 0, $o{enhanced}, $o{stage} // 0, \$out)); }
    return bless { h => $out, kb => $self }, 'Bounce::Result';
}
sub parse_dsn {
    my ($self, $data, $name) = @_;
    my $out;
    { use bytes; Bounce::check(Bounce::dsn_parse($self->{h}, $data, length($data), $name, 0, \$out)); }
    my $n = Bounce::dsn_record_count($out);
    my @recs = map { Bounce::record_json(Bounce::dsn_record($out, $_)) } 0 .. $n - 1;
    Bounce::dsn_free($out);
    return @recs;
}
sub parse_stream {
    my ($self, $kind, $data, $reftime) = @_;
    my $s;
    Bounce::check(Bounce::stream_new($self->{h}, $kind eq 'queue' ? 2 : 1, 0, \$s));
    Bounce::stream_set_reference_time($s, $reftime) if defined $reftime;
    my @recs;
    my $drain = sub { while (my $r = Bounce::stream_next($s)) { push @recs, Bounce::record_json($r) } };
    { use bytes; Bounce::check(Bounce::stream_feed($s, $data, length($data))); }
    $drain->();
    Bounce::check(Bounce::stream_finish($s));
    $drain->();
    Bounce::stream_free($s);
    return @recs;
}
sub DESTROY { my $self = shift; Bounce::kb_free($self->{h}) if $self->{owned} && $self->{h}; }

package Bounce::Result;
sub reason { Bounce::enum_name(Bounce::ENUM_REASON, Bounce::result_reason($_[0]->{h})) }
sub severity { Bounce::enum_name(Bounce::ENUM_SEVERITY, Bounce::result_severity($_[0]->{h})) }
sub cause { Bounce::result_cause($_[0]->{h}) }
sub hard_bounce { Bounce::result_hard_bounce($_[0]->{h}) }
sub remediation {
    my ($self, $mta) = @_;
    my $m = Bounce::enum_from_name(Bounce::ENUM_MTA, $mta // 'any');
    die "unknown MTA flavour $mta\n" if $m < 0;
    return map { Bounce::result_remediation($self->{h}, $m, $_) } 0 .. Bounce::result_remediation_count($self->{h}, $m) - 1;
}
sub to_json {
    my $self = shift;
    my $out;
    Bounce::check(Bounce::result_to_json($self->{h}, 0, \$out));
    return JSON::PP::decode_json(Bounce::owned_string($out));
}
sub DESTROY { my $self = shift; Bounce::result_free($self->{h}) if $self->{h}; }

1;
