#!/usr/bin/perl
# Writes a small GeoIP2-City-shaped MaxMind DB used by src/geo/ip_locator_test.cc.
#   perl tools/gazetteer/make_test_mmdb.pl OUT.mmdb
# Needs MaxMind::DB::Writer::Tree (Debian: libmaxmind-db-writer-perl). Networks:
#   81.2.69.0/24     city.geoname_id 2643743 (London) + location
#   89.160.20.0/24   location only, near Linköping (no city record)
#   175.16.199.0/24  city.geoname_id 999999999 (not in the gazetteer) + location of Changchun
#   67.43.156.0/24   country only: no city, no location
#   2001:db8::/32    city.geoname_id 5037649 (Minneapolis) + location
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

die "usage: $0 OUT.mmdb\n" unless @ARGV == 1;
my $out = $ARGV[0];

my %types = (
    city            => 'map',
    country         => 'map',
    location        => 'map',
    names           => 'map',
    en              => 'utf8_string',
    geoname_id      => 'uint32',
    iso_code        => 'utf8_string',
    latitude        => 'double',
    longitude       => 'double',
    accuracy_radius => 'uint16',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 28,
    database_type            => 'GeoIP2-City',
    languages                => ['en'],
    description              => { en => 'outagemap test fixture' },
    remove_reserved_networks => 0,
    map_key_type_callback    => sub { $types{ $_[0] } },
);

sub place {
    my (%a) = @_;
    my %record = (country => { iso_code => $a{country} });
    $record{city} = { geoname_id => $a{geoname_id}, names => { en => $a{name} } }
        if defined $a{geoname_id};
    $record{location} = { latitude => $a{lat}, longitude => $a{lon}, accuracy_radius => 20 }
        if defined $a{lat};
    return \%record;
}

$tree->insert_network('81.2.69.0/24',
    place(country => 'GB', geoname_id => 2643743, name => 'London', lat => 51.5142,
          lon => -0.0931));
$tree->insert_network('89.160.20.0/24', place(country => 'SE', lat => 58.4167, lon => 15.6167));
$tree->insert_network('175.16.199.0/24',
    place(country => 'CN', geoname_id => 999999999, name => 'Nowhere', lat => 43.88,
          lon => 125.3228));
$tree->insert_network('67.43.156.0/24', place(country => 'BT'));
$tree->insert_network('2001:db8::/32',
    place(country => 'US', geoname_id => 5037649, name => 'Minneapolis', lat => 44.98,
          lon => -93.2638));

open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
