# Tests of the Perl binding against the freshly built library and the C suite's fixtures.
use strict;
use warnings;
use Test::More;
use File::Spec;
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP ();
use Bounce;

my $src = $ENV{SRCDIR} // "$FindBin::Bin/../../..";
my $fix = "$src/tests/fixtures";

sub slurp { my $p = shift; open my $f, '<:raw', $p or die "$p: $!"; local $/; my $d = <$f>; close $f; return $d }
sub strip { my %h = %{ $_[0] }; delete $h{file}; return \%h }
use Time::Local qw(timegm);
# Reduce an actual record to the keys the expected one names (some suites' expected files
# hold a subset of the record, with the time as epoch seconds).
sub project {
    my ($a, $e) = @_;
    my %out;
    for my $k (keys %$e) {
        my $v = $a->{$k};
        if ($k eq 'time' && defined $v && $e->{$k} =~ /^\d+$/ && $v =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/) {
            $v = timegm($6, $5, $4, $3, $2 - 1, $1);
        }
        $out{$k} = $v;
    }
    return \%out;
}
sub compare {
    my ($got, $exp, $what) = @_;
    is(scalar @$got, scalar @$exp, "$what: record count");
    for my $i (0 .. $#$exp) { is_deeply(project($got->[$i] // {}, $exp->[$i]), $exp->[$i], "$what: record $i"); }
}
sub expected { my $p = shift; return [ map { strip(JSON::PP::decode_json($_)) } grep { /\S/ } split /\n/, slurp($p) ] }

my $kb = Bounce::KB->builtin;
ok($kb->signature_count > 0, 'built-in KB has signatures');
is(Bounce::enum_count(0), 34, '34 reasons');

my $r = $kb->classify("550 5.1.1 <bob\@example.org>: Recipient address rejected: User unknown in local recipient table");
is($r->reason, 'userunknown', 'unknown user');
ok($r->hard_bounce, 'hard bounce');
is($r->to_json->{reason}, 'userunknown', 'result JSON');

my $g = $kb->classify("\x00\xff garbage");
is($g->cause, 'unknown', 'garbage classifies as unknown');

eval { $kb->load('/nonexistent/kb.tsv') };
isa_ok($@, 'Bounce::Error', 'load error');
like($@->name, qr/^BOUNCE_E_/, 'error carries the status name');

for my $eml (sort glob("$fix/dsn/*.eml")) {
    (my $exp = $eml) =~ s/\.eml$/.expected.json/;
    next unless -e $exp;
    my @recs = map { strip($_) } $kb->parse_dsn(slurp($eml), (File::Spec->splitpath($eml))[2]);
    compare(\@recs, expected($exp), "dsn fixture $eml");
}
for my $spec (['log', 'log/*.log'], ['queue', 'queue/*.txt']) {
    my ($kind, $pat) = @$spec;
    for my $in (sort glob("$fix/$pat")) {
        (my $base = $in) =~ s/\.[^.\/]+$//;
        next unless -e "$base.expected.json";
        my $ref = -e "$fix/$kind/reftime" ? (slurp("$fix/$kind/reftime") =~ /(\d+)/)[0] : undef;
        my @recs = map { strip($_) } $kb->parse_stream($kind, slurp($in), $ref);
        compare(\@recs, expected("$base.expected.json"), "$kind fixture $in");
    }
}
done_testing;
